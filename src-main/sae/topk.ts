// The top-k SAE of Gao et al. 2024: z = ReLU(TopK_k(W_enc (x − b_pre) + b_enc)), x̂ = W_dec z + b_pre,
// trained on ‖x − x̂‖² (+ AuxK, + optionally Multi-TopK's L(4k)/8). The step, sparse backward and
// sharding are shared with BatchTopK in sparse/; this file is what makes it top-k.
import { registerSae } from './registry.js';
import { leadingRelu } from './sparse/codes.js';
import type { SparseRule } from './sparse/rule.js';
import { SparseSae } from './sparse/trainer.js';

/** Multi-TopK: L(k) + L(4k)/8 (Gao et al. §5.3, "progressive recovery"). */
const MULTI_TOPK = { name: 'multi_topk', weight: 1 / 8 };

export const topkRule: SparseRule = {
  architecture: 'topk',
  thresholded: false,
  // Exactly k (or 4k) per token: the candidates are the code.
  saturated: () => false,
  trainingCandidates: (config) => (config.multiTopK ? 4 * config.k : config.k),
  inferenceCandidates: (config) => config.k,
  train: (merged, config) => ({
    main: leadingRelu(merged, config.k),
    extras: config.multiTopK ? [{ ...MULTI_TOPK, code: leadingRelu(merged, 4 * config.k) }] : undefined,
  }),
  trainOnDevice: (config) => ({ mainWidth: config.k, extras: config.multiTopK ? [{ ...MULTI_TOPK, width: 4 * config.k }] : [] }),
  infer: (merged, config) => leadingRelu(merged, config.k),
};

registerSae('topk', (config, options) => SparseSae.create(config, topkRule, options));
