// A strength sweep: the same prompt steered at several strengths (add mode), with, at each, the
// greedy continuation and the next-token probability of chosen tokens, typically the ones the
// latent's decoder direction promotes through the unembedding (its logit effect).
import { tf } from '../engine/backend.js';
import type { Gpt2 } from '../model/gpt2.js';
import type { SaeRunner } from '../sae/inference.js';
import { interventionHook } from './intervention.js';

export interface SweepRow {
  strength: number;
  /** Greedy continuation, new tokens only. */
  ids: number[];
  /** Next-token probability of each tracked token after the prompt. */
  probs: number[];
}

export interface SweepOptions {
  latents: number[];
  strengths: number[];
  /** Token ids whose probability is tracked. */
  tokens: number[];
  maxNewTokens: number;
}

/** The `n` tokens a latent's decoder direction promotes most: (W_dec[latent] ⊙ γ_lnf) · W_U, as the feature page's logit table. */
export function promotedTokens(model: Gpt2, sae: SaeRunner, latent: number, n: number): number[] {
  if (sae.spec.dIn !== model.config.nEmbd) throw new Error(`logit effects need an SAE on a residual-width site; ${sae.spec.hookName} has d_in ${sae.spec.dIn}`);
  return tf.tidy(() => {
    const direction = sae.decoderRows([latent]).mul(model.readout().lnF.weight) as tf.Tensor2D; // [1, d_model]
    return Array.from(tf.topk(model.unembedNormalized(direction).reshape([-1]), n).indices.dataSync()); // [n]
  });
}

export function strengthSweep(model: Gpt2, sae: SaeRunner, prompt: number[], opts: SweepOptions): SweepRow[] {
  const nLayers = model.config.nLayer;
  return opts.strengths.map((strength) => {
    const intervention = { mode: 'add' as const, latents: opts.latents.map((latent) => ({ latent, value: strength })) };
    const probs = tf.tidy(() => {
      const { logits } = model.run(tf.tensor2d([prompt], [1, prompt.length], 'int32'), { hooks: [interventionHook(sae, intervention, nLayers)] });
      const p = tf.softmax(logits!.slice([0, prompt.length - 1, 0], [1, 1, -1]).reshape([-1])).dataSync(); // [vocab]
      return opts.tokens.map((t) => p[t]!);
    });
    const ids = model.generate(prompt, { maxNewTokens: opts.maxNewTokens, temperature: 0, hooks: [interventionHook(sae, intervention, nLayers)] }).slice(prompt.length);
    return { strength, ids, probs };
  });
}
