// What distinguishes the top-k-family architectures: which encoder candidates become the code.
import type { SaeTrainConfig } from '../config.js';
import type { HostCode } from './codes.js';

/** Per-SAE state a rule keeps between steps (BatchTopK's inference threshold). */
export interface RuleState {
  threshold: number;
}

/**
 * A further reconstruction trained beside the main one: weight · ‖x − x̂(code)‖² (normalised as the
 * main MSE) under losses[name], summed over extras of the same name.
 */
export interface ExtraCode {
  name: string;
  code: HostCode;
  weight: number;
  /** Matryoshka: the code is the main code restricted to latents [0, prefix); reported per prefix in StepMetrics. */
  prefix?: number;
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
  /** The code of L(k) and the extra reconstructions (Multi-TopK's L(4k), Matryoshka's prefixes); may update `state`. */
  train(merged: HostCode, config: SaeTrainConfig, state: RuleState): { main: HostCode; extras?: ExtraCode[] };
  infer(merged: HostCode, config: SaeTrainConfig, state: RuleState): HostCode;
  /**
   * For the step that stays on the device (trainer.ts deviceStep): every code is the leading `width`
   * candidates per token after a ReLU, the main one `mainWidth` wide. Absent where the rule needs
   * the host: BatchTopK's batch-wide cut-off decides from the data whether to widen its candidates.
   */
  trainOnDevice?(config: SaeTrainConfig): { mainWidth: number; extras: Array<Omit<ExtraCode, 'code' | 'prefix'> & { width: number }> };
}
