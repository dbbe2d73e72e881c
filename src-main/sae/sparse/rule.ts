// What distinguishes the top-k-family architectures: which encoder candidates become the code.
import type { SaeArchitecture } from '../types.js';
import type { SaeTrainConfig } from '../config.js';
import type { HostCode } from './codes.js';

/** Per-SAE state a rule keeps between steps (BatchTopK's inference threshold). */
export interface RuleState {
  threshold: number;
}

export interface SparseRule {
  /** Candidates per token the encoder returns for a training step. */
  trainingCandidates(config: SaeTrainConfig): number;
  /** Candidates per token the encoder returns for inference. */
  inferenceCandidates(config: SaeTrainConfig): number;
  /** The code of L(k) and, for Multi-TopK, of L(4k); may update `state`. */
  train(merged: HostCode, config: SaeTrainConfig, state: RuleState): { main: HostCode; multi?: HostCode };
  infer(merged: HostCode, config: SaeTrainConfig, state: RuleState): HostCode;
  /** How the trained SAE is described in SAELens terms (BatchTopK is saved as JumpReLU, as SAELens does). */
  exportAs: SaeArchitecture;
}
