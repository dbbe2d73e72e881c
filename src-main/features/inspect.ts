// Prompt inspection ("search via inference"): run a text through GPT-2 up to the SAE's hook, encode,
// and report the strongest latents at every token, plus one chosen latent's activation everywhere.
import { tf } from '../engine/backend.js';
import type { HookName } from '../../src-shared/hooks.js';
import type { HookedModel } from '../data/activations.js';
import type { SaeRunner } from '../sae/inference.js';

export interface InspectTokenizer {
  encode(text: string): number[];
  displayToken(id: number): string;
  eotId: number;
}

export interface InspectOptions {
  /** Latents listed per token; default 5. */
  top?: number;
  /** Also return this latent's activation on every token. */
  latent?: number;
  /** Prepend <|endoftext|> as the SAE saw in training (its position is not reported); default true. */
  bos?: boolean;
}

export interface InspectResult {
  tokens: Array<{ id: number; text: string }>;
  /** For each token, its active latents, strongest first (at most `top`, only those > 0). */
  perToken: Array<Array<{ latent: number; act: number }>>;
  latent?: { index: number; acts: number[] };
}

export async function inspectText(
  model: HookedModel & { config: { nPositions?: number } },
  sae: SaeRunner,
  tokenizer: InspectTokenizer,
  text: string,
  options: InspectOptions = {},
): Promise<InspectResult> {
  const top = options.top ?? 5;
  const bos = options.bos ?? true;
  const hook = sae.spec.hookName as HookName;
  const ids = tokenizer.encode(text);
  if (ids.length === 0) throw new Error('inspect needs a non-empty text');
  if (options.latent !== undefined && (!Number.isInteger(options.latent) || options.latent < 0 || options.latent >= sae.spec.dSae)) {
    throw new Error(`latent ${options.latent} is out of range: the SAE has latents 0..${sae.spec.dSae - 1}`);
  }
  const fed = bos ? [tokenizer.eotId, ...ids] : ids;
  const limit = model.config.nPositions;
  if (limit !== undefined && fed.length > limit) throw new Error(`the text is ${fed.length} tokens${bos ? ' with BOS' : ''}, longer than the model's context of ${limit}`);
  const offset = bos ? 1 : 0;
  const k = Math.min(top, sae.spec.dSae);
  const [z, best] = tf.tidy(() => {
    const tokens = tf.tensor2d(fed, [1, fed.length], 'int32'); // [1, pos]
    const { cache } = model.run(tokens, { cache: [hook], stopAt: hook });
    const act = cache.get(hook);
    if (!act) throw new Error(`the model returned no activation for hook "${hook}"`);
    const x = act.slice([0, offset, 0], [1, ids.length, -1]).reshape([ids.length, sae.spec.dIn]) as tf.Tensor2D; // [pos, d_in]
    for (const t of cache.values()) t.dispose();
    const latents = sae.encode(x); // [pos, d_sae]
    return [latents, tf.topk(latents, k)] as const;
  });
  try {
    const [values, indices] = await Promise.all([best.values.data(), best.indices.data()]);
    const perToken = ids.map((_, p) => {
      const row: Array<{ latent: number; act: number }> = [];
      for (let j = 0; j < k; j++) if (values[p * k + j] > 0) row.push({ latent: indices[p * k + j], act: values[p * k + j] });
      return row;
    });
    const result: InspectResult = { tokens: ids.map((id) => ({ id, text: tokenizer.displayToken(id) })), perToken };
    if (options.latent !== undefined) {
      const column = tf.tidy(() => z.slice([0, options.latent!], [ids.length, 1]).reshape([-1])); // [pos]
      result.latent = { index: options.latent, acts: Array.from(await column.data()) };
      column.dispose();
    }
    return result;
  } finally {
    tf.dispose([z, best.values, best.indices]);
  }
}
