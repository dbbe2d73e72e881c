// BatchTopK (Bussmann, Leask & Nanda 2024): keep the batch·k largest pre-activations over the whole
// batch, so tokens share a budget of k per token on average. At inference a running threshold
// replaces the batch (SAELens saves BatchTopK SAEs as JumpReLU with that threshold).
import { registerSae } from './registry.js';
import { kthLargest, minPositive, thresholded, type HostCode } from './sparse/codes.js';
import type { SparseRule } from './sparse/rule.js';
import { SparseSae } from './sparse/trainer.js';

/**
 * Candidates per token asked for first, as a multiple of k. Not a cap: when a token's last candidate
 * is still kept, the step asks again for twice as many (SparseRule.saturated), so training and
 * inference keep exactly what the batch-wide rule and the exported JumpReLU keep.
 */
const CANDIDATES_PER_K = 4;

/** Weight of each batch's threshold in the running inference threshold (SAELens's topk_threshold_lr). */
const THRESHOLD_RATE = 0.01;

/** The batch's cut-off: its (batch·k)-th largest candidate. */
function batchCutoff(merged: HostCode, k: number): number {
  return kthLargest(merged, merged.batch * k);
}

/** A token's last candidate passes `cutoff` (and ReLU), so entries beyond the candidates might too. */
function lastCandidateKept(merged: HostCode, cutoff: number): boolean {
  for (let t = 0; t < merged.batch; t++) {
    const last = merged.values[(t + 1) * merged.width - 1];
    if (last > 0 && last >= cutoff) return true;
  }
  return false;
}

export const batchTopKRule: SparseRule = {
  architecture: 'batchtopk',
  thresholded: true,
  trainingCandidates: (config) => Math.min(config.dSae, CANDIDATES_PER_K * config.k),
  inferenceCandidates: (config) => Math.min(config.dSae, CANDIDATES_PER_K * config.k),
  saturated: (merged, config, state, phase) => merged.width < config.dSae && lastCandidateKept(merged, phase === 'train' ? batchCutoff(merged, config.k) : state.threshold),
  train: (merged, config, state) => {
    const main = thresholded(merged, batchCutoff(merged, config.k));
    // SAELens (BatchTopKTrainingSAE.update_topk_threshold): a running mean of the smallest positive
    // kept activation. SAELens starts it at 0; starting at the first batch's value instead spares
    // short runs the bias of an average that began at 0.
    const smallest = minPositive(main);
    if (smallest !== undefined) state.threshold = state.threshold === 0 ? smallest : (1 - THRESHOLD_RATE) * state.threshold + THRESHOLD_RATE * smallest;
    return { main };
  },
  infer: (merged, _config, state) => thresholded(merged, state.threshold),
};

registerSae('batchtopk', (config, options) => SparseSae.create(config, batchTopKRule, options));
