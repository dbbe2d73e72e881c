// What an SAE is, independent of how it was trained or which file format it came from. Formats
// (SAELens, sparsify, OpenAI) translate to and from these; training and inference consume them.

/** SAELens architecture names; `relu` is SAELens's "standard" (ReLU + L1). */
export type SaeArchitecture = 'topk' | 'batchtopk' | 'standard' | 'jumprelu' | 'gated';

/** How activations are normalised before encoding (SAELens names). */
export type InputNormalization = 'none' | 'layer_norm' | 'expected_average_only_in' | 'constant_norm_rescale';

export interface SaeSpec {
  architecture: SaeArchitecture;
  /** Width of the hooked activation (d_model for residual sites). */
  dIn: number;
  /** Number of latents. */
  dSae: number;
  /** Active latents per token, for topk and batchtopk. */
  k?: number;
  normalizeActivations: InputNormalization;
  /** Scale applied to inputs by `expected_average_only_in` (x · factor), when known. */
  normScalingFactor?: number;
  /** Subtract b_dec from the input before encoding (true for every SAE this app trains). */
  applyBDecToInput: boolean;
  /** Hugging Face model name or folder the SAE was trained on, e.g. "gpt2". */
  modelName: string;
  /** TransformerLens hook name, e.g. "blocks.8.hook_resid_post". */
  hookName: string;
  contextSize: number;
  prependBos: boolean;
  /** Where the training data came from, for provenance. */
  datasetPath?: string;
  /**
   * A Matryoshka BatchTopK SAE (architecture batchtopk): every nested size of the dictionary it was
   * trained as, ascending, the last the whole dictionary's; dSae is one of them (a prefix, or the whole).
   */
  matryoshkaPrefixes?: number[];
}

/**
 * Weights in host memory, row-major, in SAELens's layout:
 * W_enc [dIn, dSae], W_dec [dSae, dIn], b_enc [dSae], b_dec [dIn].
 * Gated SAEs have b_gate, b_mag, r_mag instead of b_enc; JumpReLU adds threshold [dSae].
 */
export interface SaeWeights {
  W_enc: Float32Array;
  W_dec: Float32Array;
  b_enc: Float32Array;
  b_dec: Float32Array;
  threshold?: Float32Array;
  b_gate?: Float32Array;
  b_mag?: Float32Array;
  r_mag?: Float32Array;
}

export interface SaeBundle {
  spec: SaeSpec;
  weights: SaeWeights;
  /** log10 firing frequency per latent, from sparsity.safetensors, when present. */
  logSparsity?: Float32Array;
}

/** `expected_average_only_in` multiplies by a dataset-wide factor; SAELens leaves it out when the factor is unknown. */
export function constantScale(spec: SaeSpec): number {
  return spec.normalizeActivations === 'expected_average_only_in' && spec.normScalingFactor !== undefined ? spec.normScalingFactor : 1;
}
