// The SAE training configuration: every field, its unit and its default, validated in one place.
// Sources for the defaults: Gao et al. 2024 (arXiv 2406.04093), OpenAI sparse_autoencoder, sparsify,
// SAELens (see /work/shared/reference/topk-recipe.md).

/** Architectures this app trains; each registers itself in registry.ts. */
export type SaeTrainArchitecture = 'topk' | 'batchtopk' | 'standard' | 'jumprelu' | 'gated' | 'matryoshka_batchtopk';
export const TRAIN_ARCHITECTURES: readonly SaeTrainArchitecture[] = ['topk', 'batchtopk', 'standard', 'jumprelu', 'gated', 'matryoshka_batchtopk'];

/** Input normalisations normalize.ts can fit, apply and undo (SAELens names). */
export type TrainNormalization = 'none' | 'layer_norm' | 'expected_average_only_in' | 'constant_norm_rescale';
export const TRAIN_NORMALIZATIONS: readonly TrainNormalization[] = ['none', 'layer_norm', 'expected_average_only_in', 'constant_norm_rescale'];

export type BPreInit = 'geometric_median' | 'mean';

export interface SaeTrainConfig {
  /**
   * 'topk' (Gao et al.), 'batchtopk' (Bussmann et al. 2024), 'standard' (ReLU + L1, Anthropic's April
   * 2024 recipe), 'jumprelu' (Rajamanoharan et al. 2024b), 'gated' (Rajamanoharan et al. 2024a) or
   * 'matryoshka_batchtopk' (Bussmann et al. 2025). Default 'topk'.
   */
  architecture: SaeTrainArchitecture;
  /** Width of the input activation, in dimensions (768 for GPT-2 small's residual stream). Required. */
  dIn: number;
  /** Number of latents. Required. */
  dSae: number;
  /** Active latents per token (topk), or per token on average over a batch (batchtopk, matryoshka_batchtopk). Default 32; unused by standard, jumprelu and gated. */
  k: number;
  /** Adam learning rate after the warm-up. Default 2e-4 / √(dSae / 2^14) (sparsify's scaling). */
  lr: number;
  /** Steps over which the learning rate rises linearly to lr (lr·t/steps at step t), as sparsify's lr_warmup_steps; 0 = none. Default 1000. */
  lrWarmupSteps: number;
  /** Largest global L2 norm of a step's gradient (all parameters, decoder gradient after its projection); larger ones are scaled down to it; 0 = no clipping. Default 1.0. */
  gradClipNorm: number;
  /** Adam β1. Default 0.9. */
  adamBeta1: number;
  /** Adam β2. Default 0.999. */
  adamBeta2: number;
  /** Adam ε. Default 6.25e-10 (Gao et al.). */
  adamEps: number;
  /** Dead latents used per token by the AuxK loss (k_aux), in latents; 0 turns AuxK off. Default dIn / 2 (SAELens). */
  auxK: number;
  /** Weight α of the AuxK loss. Default 1/32 (Gao et al. §A.2). */
  auxKCoefficient: number;
  /** A latent is dead once it has not fired for this many training tokens. Default 10,000,000 (Gao et al.); scale down for short runs. */
  deadTokensWindow: number;
  /** Add the Multi-TopK term L(4k)/8 (Gao et al. §5.3), topk only. Default false. */
  multiTopK: boolean;
  /**
   * L1 penalty λ, mean over tokens: on Σ_i z_i ‖W_dec,i‖ against the plain MSE (standard), or on the
   * gate's Σ_i ReLU(π_gate,i) / √E‖x − μ‖² against the normalised MSE (gated). Default 1; sweep it for the L0 wanted.
   */
  l1Coefficient: number;
  /** Steps over which λ rises linearly from 0 to l1Coefficient (standard only; the April 2024 recipe warms over the first 5% of training). Default 0. */
  l1WarmupSteps: number;
  /** L0 penalty λ on the number of active latents per token, mean over tokens, against the normalised MSE (jumprelu only). Default 1e-3; sweep it for the L0 wanted. */
  l0Coefficient: number;
  /**
   * Bandwidth ε of the rectangle kernel in JumpReLU's threshold pseudo-derivative (jumprelu only), in
   * units of the inputs' RMS distance from their mean √E‖x − μ‖² (the paper's 0.001 is for inputs
   * scaled to E‖x‖² = 1). Default 0.001.
   */
  jumpReluBandwidth: number;
  /** JumpReLU's initial threshold θ for every latent (jumprelu only), in the same units as jumpReluBandwidth. Default 0.001 (the paper's). */
  jumpReluInitThreshold: number;
  /**
   * The nested dictionary prefixes below dSae, in latents, ascending (matryoshka_batchtopk only):
   * latents [0, m) reconstruct the input on their own for each m, as does the whole dictionary.
   * Required, at least one, for matryoshka_batchtopk; empty otherwise.
   */
  matryoshkaPrefixes: number[];
  /** Normalisation the caller applies to inputs before `step` (normalize.ts); recorded in the export. Default 'layer_norm' (Gao et al.). */
  normalizeActivations: TrainNormalization;
  /** How b_pre (SAELens b_dec) starts from the initialisation sample. Default 'geometric_median' (Gao et al.). */
  bPreInit: BPreInit;
  /** Seed of the random decoder initialisation. Default 0. */
  seed: number;
}

const REQUIRED = ['dIn', 'dSae'] as const;

/** Defaults that do not depend on other fields; lr and auxK are derived in validateSaeConfig. */
const FIXED_DEFAULTS = {
  architecture: 'topk',
  k: 32,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEps: 6.25e-10,
  lrWarmupSteps: 1000,
  gradClipNorm: 1,
  auxKCoefficient: 1 / 32,
  deadTokensWindow: 10_000_000,
  multiTopK: false,
  l1Coefficient: 1,
  l1WarmupSteps: 0,
  l0Coefficient: 1e-3,
  jumpReluBandwidth: 1e-3,
  jumpReluInitThreshold: 1e-3,
  matryoshkaPrefixes: [] as number[],
  normalizeActivations: 'layer_norm',
  bPreInit: 'geometric_median',
  seed: 0,
} satisfies Partial<SaeTrainConfig>;

const KNOWN_KEYS = new Set<string>([...REQUIRED, ...Object.keys(FIXED_DEFAULTS), 'lr', 'auxK']);

export function defaultLearningRate(dSae: number): number {
  return 2e-4 / Math.sqrt(dSae / 2 ** 14);
}

/**
 * Fills defaults and checks every field of a training config. Unknown keys and out-of-range values
 * are errors that name the field, the value given and what would be valid.
 */
export function validateSaeConfig(input: unknown): SaeTrainConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new Error(`SAE config: expected an object with at least dIn and dSae, got ${JSON.stringify(input)}`);
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key)) throw new Error(`SAE config: unknown key "${key}"; known keys are ${[...KNOWN_KEYS].join(', ')}`);
  }
  for (const key of REQUIRED) {
    if (raw[key] === undefined) throw new Error(`SAE config: "${key}" is required (a positive integer)`);
  }
  const merged = { ...FIXED_DEFAULTS, ...stripUndefined(raw) } as Record<string, unknown>;
  const dIn = positiveInteger(merged, 'dIn');
  const dSae = positiveInteger(merged, 'dSae');
  const config: SaeTrainConfig = {
    architecture: oneOf(merged, 'architecture', TRAIN_ARCHITECTURES),
    dIn,
    dSae,
    k: positiveInteger(merged, 'k'),
    lr: positiveNumber({ lr: merged.lr ?? defaultLearningRate(dSae) }, 'lr'),
    adamBeta1: unitInterval(merged, 'adamBeta1'),
    adamBeta2: unitInterval(merged, 'adamBeta2'),
    adamEps: positiveNumber(merged, 'adamEps'),
    lrWarmupSteps: nonNegativeInteger(merged, 'lrWarmupSteps'),
    gradClipNorm: nonNegativeNumber(merged, 'gradClipNorm'),
    auxK: nonNegativeInteger({ auxK: merged.auxK ?? Math.floor(dIn / 2) }, 'auxK'),
    auxKCoefficient: nonNegativeNumber(merged, 'auxKCoefficient'),
    deadTokensWindow: positiveInteger(merged, 'deadTokensWindow'),
    multiTopK: boolean(merged, 'multiTopK'),
    l1Coefficient: nonNegativeNumber(merged, 'l1Coefficient'),
    l1WarmupSteps: nonNegativeInteger(merged, 'l1WarmupSteps'),
    l0Coefficient: nonNegativeNumber(merged, 'l0Coefficient'),
    jumpReluBandwidth: positiveNumber(merged, 'jumpReluBandwidth'),
    jumpReluInitThreshold: positiveNumber(merged, 'jumpReluInitThreshold'),
    matryoshkaPrefixes: prefixList(merged, 'matryoshkaPrefixes', dSae),
    normalizeActivations: oneOf(merged, 'normalizeActivations', TRAIN_NORMALIZATIONS),
    bPreInit: oneOf(merged, 'bPreInit', ['geometric_median', 'mean'] as const),
    seed: nonNegativeInteger(merged, 'seed'),
  };
  if (['topk', 'batchtopk', 'matryoshka_batchtopk'].includes(config.architecture) && config.k > dSae) {
    throw new Error(`SAE config: k = ${config.k} exceeds dSae = ${dSae}; k must be at most the number of latents`);
  }
  if (config.multiTopK && config.architecture !== 'topk') {
    throw new Error(`SAE config: multiTopK applies to architecture "topk" only, not "${config.architecture}"`);
  }
  if (config.multiTopK && 4 * config.k > dSae) {
    throw new Error(`SAE config: multiTopK needs 4k = ${4 * config.k} latents but dSae = ${dSae}`);
  }
  const matryoshka = config.architecture === 'matryoshka_batchtopk';
  if (matryoshka && config.matryoshkaPrefixes.length === 0) {
    throw new Error(`SAE config: matryoshka_batchtopk needs matryoshkaPrefixes, the nested sizes below dSae = ${dSae} (e.g. [${Math.max(1, Math.floor(dSae / 16))}, ${Math.max(1, Math.floor(dSae / 4))}])`);
  }
  if (!matryoshka && config.matryoshkaPrefixes.length > 0) {
    throw new Error(`SAE config: matryoshkaPrefixes applies to architecture "matryoshka_batchtopk" only, not "${config.architecture}"`);
  }
  return config;
}

/** Strictly ascending positive integers below `dSae`. */
function prefixList(raw: Record<string, unknown>, key: string, dSae: number): number[] {
  const v = raw[key];
  const expected = `an ascending list of distinct integers in [1, dSae = ${dSae})`;
  if (!Array.isArray(v)) fail(key, v, expected);
  v.forEach((m, i) => {
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m >= dSae || (i > 0 && m <= v[i - 1])) fail(key, v, expected);
  });
  return [...(v as number[])];
}

function stripUndefined(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
}

function fail(key: string, value: unknown, expected: string): never {
  throw new Error(`SAE config: "${key}" = ${JSON.stringify(value)} is invalid; expected ${expected}`);
}

function positiveInteger(raw: Record<string, unknown>, key: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(key, v, 'a positive integer');
  return v;
}

function nonNegativeInteger(raw: Record<string, unknown>, key: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(key, v, 'a non-negative integer');
  return v;
}

function positiveNumber(raw: Record<string, unknown>, key: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(key, v, 'a finite number > 0');
  return v;
}

function nonNegativeNumber(raw: Record<string, unknown>, key: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(key, v, 'a finite number ≥ 0');
  return v;
}

function unitInterval(raw: Record<string, unknown>, key: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(key, v, 'a number in [0, 1)');
  return v;
}

function boolean(raw: Record<string, unknown>, key: string): boolean {
  const v = raw[key];
  if (typeof v !== 'boolean') fail(key, v, 'true or false');
  return v;
}

function oneOf<T extends string>(raw: Record<string, unknown>, key: string, allowed: readonly T[]): T {
  const v = raw[key];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(key, v, `one of ${allowed.join(', ')}`);
  return v as T;
}
