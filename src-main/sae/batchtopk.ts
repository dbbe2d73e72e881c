// BatchTopK (Bussmann, Leask & Nanda 2024): keep the batch·k largest pre-activations over the whole
// batch, so tokens share a budget of k per token on average. At inference a running threshold
// replaces the batch (SAELens saves BatchTopK SAEs as JumpReLU with that threshold).
import { registerSae } from './registry.js';
import { kthLargest, thresholded } from './sparse/codes.js';
import type { SparseRule } from './sparse/rule.js';
import { SparseSae } from './sparse/trainer.js';

/**
 * Candidates per token, as a multiple of k: a token can take at most this many of the batch's
 * latents. 4k leaves room for busy tokens while keeping the merge small; a token that would take
 * more is capped (the budget goes to other tokens).
 */
const CANDIDATES_PER_K = 4;

/** Weight of each batch's threshold in the running inference threshold (SAELens's topk_threshold_lr). */
const THRESHOLD_RATE = 0.01;

export const batchTopKRule: SparseRule = {
  trainingCandidates: (config) => Math.min(config.dSae, CANDIDATES_PER_K * config.k),
  inferenceCandidates: (config) => Math.min(config.dSae, CANDIDATES_PER_K * config.k),
  train: (merged, config, state) => {
    const threshold = Math.max(0, kthLargest(merged, merged.batch * config.k));
    state.threshold = state.threshold === 0 ? threshold : (1 - THRESHOLD_RATE) * state.threshold + THRESHOLD_RATE * threshold;
    return { main: thresholded(merged, threshold) };
  },
  infer: (merged, _config, state) => thresholded(merged, state.threshold),
  exportAs: 'jumprelu',
};

registerSae('batchtopk', (config, options) => SparseSae.create(config, batchTopKRule, options));
