// The contract between the SAE core and its users (the trainer, evals, export). Every SAE this app
// trains, whatever its architecture and however many worker threads it runs on, is a TrainableSae.
import type { tf } from '../engine/backend.js';
import type { SaeBundle, SaeSpec } from './types.js';
import type { SaeTrainConfig } from './config.js';

/** A sparse code: per token the active latents' values and ids, padded with value 0 (id 0). */
export interface SparseCode {
  /** [batch, width] float32; 0 where a slot is padding or the latent is inactive. */
  values: tf.Tensor2D;
  /** [batch, width] int32 latent ids in [0, dSae). */
  indices: tf.Tensor2D;
}

export interface StepMetrics {
  /** Mean number of non-zero latents per token. */
  l0: number;
  /** Fraction of variance unexplained on the batch as given (normalised inputs): Σ‖x − x̂‖² ÷ Σ‖x − mean(x)‖² (OpenAI train.py). */
  fvu: number;
  /** Fraction of latents that have not fired for config.deadTokensWindow tokens (after this step). */
  deadFraction: number;
  /** Dead latents each token used in the AuxK loss this step (0 when none are dead or AuxK is off). */
  auxLatents: number;
  /** Tokens in this step's batch. */
  tokens: number;
  /** Matryoshka: each nested prefix below the whole dictionary, as an SAE of its own (FVU and L0 as above). */
  prefixes?: Array<{ dSae: number; fvu: number; l0: number }>;
}

export interface StepResult {
  /** Total loss that was minimised: the sum of `losses`. */
  loss: number;
  /**
   * Terms by name: mse (‖x − x̂‖² summed over d, mean over tokens, times SaeTrainState.mseScale),
   * multi_topk, matryoshka (the nested prefixes' normalised MSEs, summed), auxk, l1, l0.
   */
  losses: Record<string, number>;
  metrics: StepMetrics;
}

/**
 * A step whose results may still be on the device (tfjs-node, CUDA): reading them every step would
 * stall the step queue, so the trainer reads many at once with readSteps (pending.ts).
 */
export interface PendingStep {
  /** Scalars on the device, in the order `resolve` takes their values; readSteps frees them. */
  readonly scalars: tf.Scalar[];
  /** The step's result from the scalars' values. */
  resolve(values: number[]): StepResult;
}

/** Parameters in host memory, SAELens layout: W_enc [dIn, dSae], b_enc [dSae], W_dec [dSae, dIn], b_dec [dIn] (= b_pre). */
export interface SaeParamArrays {
  W_enc: Float32Array;
  b_enc: Float32Array;
  W_dec: Float32Array;
  b_dec: Float32Array;
}

/** Everything a checkpoint needs to continue training exactly. */
export interface SaeTrainState {
  config: SaeTrainConfig;
  params: SaeParamArrays;
  /** Adam first and second moments, same layout as params. */
  adamM: SaeParamArrays;
  adamV: SaeParamArrays;
  /** Optimizer steps taken (Adam's bias correction uses it). */
  step: number;
  /** [dSae] training tokens since each latent last fired. */
  tokensSinceFired: Float32Array;
  /** [dSae] training tokens on which each latent fired, since the start. */
  firingCounts: Float32Array;
  /** Training tokens seen since the start. */
  tokensSeen: number;
  /** BatchTopK: running activation threshold used at inference (0 for other architectures). */
  threshold: number;
  /**
   * Multiplier of the reconstruction terms (mse, multi_topk): 1 / E‖x − mean(x)‖² over the
   * initialisation sample for the top-k family (OpenAI's mse_scale), so they are normalised MSEs of
   * the same scale as the dimensionless AuxK term; 1 for standard, whose L1 coefficient is set
   * against the plain MSE.
   */
  mseScale: number;
  /**
   * Per-latent arrays of architectures with parameters beyond SaeParamArrays, by name (JumpReLU:
   * log_threshold with its Adam moments adamM.log_threshold and adamV.log_threshold); absent otherwise.
   */
  extra?: Record<string, Float32Array>;
}

/** SaeSpec fields the SAE itself cannot know: provenance of the activations. */
export type SaeExportMeta = Pick<SaeSpec, 'modelName' | 'hookName' | 'contextSize' | 'prependBos' | 'datasetPath' | 'normScalingFactor'>;

export interface TrainableSae {
  readonly config: SaeTrainConfig;
  /** One optimizer step on a batch of normalised activations [batch, dIn]; updates the SAE in place. */
  step(x: tf.Tensor2D): Promise<StepResult>;
  /** The same step without reading its results back; present only where the SAE keeps its step on the device. */
  stepDeferred?(x: tf.Tensor2D): Promise<PendingStep>;
  /** Sparse code of normalised activations [batch, dIn] (top-k for topk; threshold for batchtopk; ReLU for standard). */
  encode(x: tf.Tensor2D): Promise<SparseCode>;
  /** The same code as a dense [batch, dSae] tensor. */
  encodeDense(x: tf.Tensor2D): Promise<tf.Tensor2D>;
  /** Reconstruction x̂ = W_dec z + b_dec [batch, dIn], in normalised units. */
  decode(code: SparseCode): Promise<tf.Tensor2D>;
  /** Weights and spec in SAELens layout, with log10 firing frequencies from training. */
  toBundle(meta: SaeExportMeta): Promise<SaeBundle>;
  getState(): Promise<SaeTrainState>;
  /** Restores a state from getState(); its config must equal this SAE's config. */
  setState(state: SaeTrainState): Promise<void>;
  /** Frees tensors and stops worker threads. */
  dispose(): Promise<void>;
}

export interface CreateSaeOptions {
  /** Start from these weights (e.g. a checkpoint's or an imported SAE's) instead of the tied random init. */
  weights?: SaeParamArrays;
  /**
   * Normalised activations [samples, dIn] to initialise b_dec (geometric median or mean,
   * config.bPreInit) and fit the top-k family's mseScale. Without one, b_dec starts at 0 and
   * mseScale is 1/dIn, its value for inputs of unit variance per dimension (layer_norm's).
   */
  sample?: tf.Tensor2D;
  /** Worker threads the latents are split across (OpenAI's n_op_shards); 1 runs in this thread. Default 1. */
  shards?: number;
}
