// Matryoshka BatchTopK (Bussmann, Nabeshima, Karvonen & Nanda 2025, "Learning multi-level features
// with Matryoshka sparse autoencoders"): one BatchTopK dictionary whose nested prefixes — latents
// [0, m) for each m of config.matryoshkaPrefixes, and the whole dictionary — each reconstruct the
// input: L = Σ_m ‖x − x̂_m‖² + α·AuxK, where x̂_m decodes the batch's BatchTopK code restricted to the
// prefix (§3). Early latents must then carry the general features on their own, which keeps later,
// more specific latents from absorbing them. Inference and export are BatchTopK's (a threshold per
// latent, saved as SAELens JumpReLU), so a prefix, cut out with prefixBundle, is an SAE of its own that
// encodes every token exactly as the whole dictionary does on those latents.
import { batchTopKRule } from './batchtopk.js';
import { registerSae } from './registry.js';
import type { HostCode } from './sparse/codes.js';
import type { SparseRule } from './sparse/rule.js';
import { SparseSae } from './sparse/trainer.js';
import type { SaeBundle } from './types.js';

/** `code` with every latent at or beyond `prefix` zeroed. */
export function restrictToPrefix(code: HostCode, prefix: number): HostCode {
  const values = code.values.map((v, i) => (code.indices[i] < prefix ? v : 0));
  return { ...code, values, indices: code.indices.slice() };
}

export const matryoshkaRule: SparseRule = {
  ...batchTopKRule,
  train: (merged, config, state) => {
    const { main } = batchTopKRule.train(merged, config, state);
    // The whole dictionary's term is `mse`; each strictly smaller prefix adds one under `matryoshka`.
    const extras = config.matryoshkaPrefixes.map((prefix) => ({ name: 'matryoshka', code: restrictToPrefix(main, prefix), weight: 1, prefix }));
    return { main, extras };
  },
};

/**
 * Latents [0, dSae) of a Matryoshka SAE as an SAE of their own: W_enc's first dSae columns, W_dec's
 * first dSae rows, b_enc's and the threshold's first dSae entries; b_dec and the spec otherwise kept.
 */
export function prefixBundle(bundle: SaeBundle, dSae: number): SaeBundle {
  const { spec, weights: w } = bundle;
  if (!spec.matryoshkaPrefixes?.includes(dSae)) {
    throw new Error(`prefixBundle: ${dSae} is not one of this SAE's nested sizes (${spec.matryoshkaPrefixes?.join(', ') ?? 'not a Matryoshka SAE'})`);
  }
  if (dSae === spec.dSae) return bundle;
  const W_enc = new Float32Array(spec.dIn * dSae);
  for (let i = 0; i < spec.dIn; i++) W_enc.set(w.W_enc.subarray(i * spec.dSae, i * spec.dSae + dSae), i * dSae);
  return {
    spec: { ...spec, dSae },
    weights: {
      W_enc,
      W_dec: w.W_dec.slice(0, dSae * spec.dIn),
      b_enc: w.b_enc.slice(0, dSae),
      b_dec: w.b_dec.slice(),
      ...(w.threshold ? { threshold: w.threshold.slice(0, dSae) } : {}),
    },
    ...(bundle.logSparsity ? { logSparsity: bundle.logSparsity.slice(0, dSae) } : {}),
  };
}

registerSae('matryoshka_batchtopk', (config, options) => SparseSae.create(config, matryoshkaRule, options));
