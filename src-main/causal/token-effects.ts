// Per-token effects of one latent, as OpenAI's feature viewer and sae_vis show them: at each
// position where the latent is active, the latent is removed there alone (its SAE error kept) and
// the log-prob of the actual next token at that position is compared with the clean run.
import { tf } from '../engine/backend.js';
import type { Gpt2 } from '../model/gpt2.js';
import type { SaeRunner } from '../sae/inference.js';
import { parseHookName } from '../../src-shared/hooks.js';

/** Ablated copies of the sequence run at once. */
const BATCH = 16;

export interface TokenEffects {
  /** The latent's activation at every position, recomputed on this sequence. */
  acts: number[];
  /**
   * clean − ablated log-prob of token p+1 at position p (positive: the latent supports the next
   * token); 0 where the latent is inactive (removing it changes nothing), null at the last position.
   */
  effects: Array<number | null>;
}

export function tokenEffects(model: Gpt2, sae: SaeRunner, ids: number[], latent: number): TokenEffects {
  if (!Number.isInteger(latent) || latent < 0 || latent >= sae.spec.dSae) throw new Error(`latent ${latent} is out of range: the SAE has latents 0..${sae.spec.dSae - 1}`);
  if (ids.length < 2) throw new Error(`token effects need at least 2 tokens, got ${ids.length}`);
  const site = parseHookName(sae.spec.hookName, model.config.nLayer).name;
  const pos = ids.length;
  const tokens = tf.tensor2d([ids], [1, pos], 'int32'); // [1, pos]
  try {
    const { cache } = model.run(tokens, { cache: [site], stopAt: site });
    const x = cache.get(site)!.reshape([pos, -1]) as tf.Tensor2D; // [pos, d_in]
    tf.dispose([...cache.values()]);
    const { acts, deltas } = tf.tidy(() => {
      const z = sae.encode(x); // [pos, d_sae]
      const norm = sae.inputNorm(x);
      const without = z.mul(tf.sub(1, tf.oneHot(tf.tensor1d([latent], 'int32'), sae.spec.dSae))) as tf.Tensor2D; // [pos, d_sae]
      return { acts: z.slice([0, latent], [pos, 1]).reshape([pos]), deltas: sae.decode(without, norm).sub(sae.decode(z, norm)) as tf.Tensor2D }; // deltas: [pos, d_in]
    });
    x.dispose();
    const values = Array.from(acts.dataSync());
    acts.dispose();
    const active = values.flatMap((v, p) => (v > 0 && p + 1 < pos ? [p] : []));
    const effects: Array<number | null> = values.map((_, p) => (p + 1 < pos ? 0 : null));
    try {
      for (let start = 0; start < active.length; start += BATCH) {
        const chunk = active.slice(start, start + BATCH);
        const changes = ablateEach(model, tokens, site, deltas, chunk, ids);
        chunk.forEach((p, i) => (effects[p] = changes[i]!));
      }
    } finally {
      deltas.dispose();
    }
    return { acts: values, effects };
  } finally {
    tokens.dispose();
  }
}

/** Row i removes the latent at positions[i] only; returns clean − ablated log-prob of the next token there. */
function ablateEach(model: Gpt2, tokens: tf.Tensor2D, site: ReturnType<typeof parseHookName>['name'], deltas: tf.Tensor2D, positions: number[], ids: number[]): number[] {
  const n = positions.length;
  const pos = tokens.shape[1];
  return tf.tidy(() => {
    const at = tf.tensor1d(positions, 'int32'); // [n]
    const add = tf.concat([
      tf.zeros([1, pos, deltas.shape[1]]),
      tf.oneHot(at, pos).reshape([n, pos, 1]).mul(tf.gather(deltas, at).reshape([n, 1, -1])), // [n, pos, d_in]
    ]); // [n+1, pos, d_in]; row 0 is the clean run, in the same batch so that unchanged rows agree exactly
    const { cache } = model.run(tf.tile(tokens, [n + 1, 1]) as tf.Tensor2D, {
      hooks: [{ name: site, fn: (x) => x.add(add) }],
      cache: ['ln_final.hook_normalized'],
      stopAt: 'ln_final.hook_normalized',
    });
    const normed = cache.get('ln_final.hook_normalized')!; // [n+1, pos, d_model]
    const rows = tf.tensor1d([...positions.map(() => 0), ...positions.map((_, i) => i + 1)], 'int32'); // clean rows, then ablated rows
    const cols = tf.tensor1d([...positions, ...positions], 'int32');
    const picked = tf.gatherND(normed, tf.stack([rows, cols], 1)) as tf.Tensor2D; // [2n, d_model]
    const logProbs = tf.logSoftmax(model.unembedNormalized(picked)); // [2n, vocab]
    const next = positions.map((p) => ids[p + 1]!);
    const targets = tf.stack([tf.range(0, 2 * n, 1, 'int32'), tf.tensor1d([...next, ...next], 'int32')], 1); // [2n, 2]
    const lp = tf.gatherND(logProbs, targets).dataSync(); // [2n]
    return positions.map((_, i) => lp[i]! - lp[n + i]!);
  });
}
