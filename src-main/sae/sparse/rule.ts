// What distinguishes the top-k-family architectures: which encoder candidates become the code.
import type { SaeTrainConfig } from '../config.js';
import type { HostCode } from './codes.js';

/** Per-SAE state a rule keeps between steps (BatchTopK's inference threshold). */
export interface RuleState {
  threshold: number;
}

export interface SparseRule {
  /** The architecture in SaeSpec terms; the format writers decide how SAELens stores it. */
  architecture: 'topk' | 'batchtopk';
  /** The rule has an inference threshold (RuleState.threshold), exported as SAELens's JumpReLU threshold. */
  thresholded: boolean;
  /** Candidates per token the encoder returns first for a training step (widened when `saturated`). */
  trainingCandidates(config: SaeTrainConfig): number;
  /** Candidates per token the encoder returns first for inference (widened when `saturated`). */
  inferenceCandidates(config: SaeTrainConfig): number;
  /**
   * True when some token's last candidate would still be kept, so latents beyond the candidates
   * might be too and the encoder must return more per token. Does not change `state`.
   */
  saturated(merged: HostCode, config: SaeTrainConfig, state: RuleState, phase: 'train' | 'infer'): boolean;
  /** The code of L(k) and, for Multi-TopK, of L(4k); may update `state`. */
  train(merged: HostCode, config: SaeTrainConfig, state: RuleState): { main: HostCode; multi?: HostCode };
  infer(merged: HostCode, config: SaeTrainConfig, state: RuleState): HostCode;
}
