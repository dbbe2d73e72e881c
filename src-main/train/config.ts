// The configuration of one family training run (what `sae-explorer train` and the app's train job
// pass in): every field with its unit and default, validated in one function, unknown keys rejected.
import { DEFAULT_CORPUS } from '../data/corpora/index.js';
import { DEFAULT_CONTEXT } from '../data/windows.js';
import type { CacheDtype } from '../data/activation-cache.js';
import type { SaeTrainArchitecture, TrainNormalization } from '../sae/config.js';
import { TRAIN_LIMITS } from './limits.js';

/**
 * The CLI's architecture names; `relu` is SAELens's "standard" (ReLU + L1); `matryoshka` is
 * Matryoshka BatchTopK, one SAE of the largest size whose smaller sizes are its nested prefixes.
 */
export type RunArchitecture = 'topk' | 'relu' | 'batchtopk' | 'jumprelu' | 'gated' | 'matryoshka';
export const RUN_ARCHITECTURES: readonly RunArchitecture[] = ['topk', 'relu', 'batchtopk', 'jumprelu', 'gated', 'matryoshka'];

export interface TrainRunConfig {
  /** Model folder or Hugging Face name (e.g. "gpt2"). Required. */
  model: string;
  /** Corpus: "sotu", a .txt/.jsonl/.parquet file or folder, or a Hub dataset. Default "sotu". */
  dataset: string;
  /** Text field (jsonl) or column (parquet). Default "text". */
  textField: string;
  /** TransformerLens hook name, e.g. "blocks.8.hook_resid_post". Required. */
  hook: string;
  /** Dictionary sizes, in latents, trained together (matryoshka: the nested prefixes of one SAE of the largest size); give this or `expansion`. */
  latents?: number[];
  /** Dictionary sizes as multiples of the hook's width; give this or `latents`. */
  expansion?: number[];
  /** Active latents per token (topk; on average for batchtopk, matryoshka). Default 32; unused by relu, jumprelu and gated. */
  k: number;
  /** Training tokens (activations, BOS excluded); rounded up to whole batches. Required. */
  tokens: number;
  /** Output folder: one SAELens folder per size (`out/<d_sae>/`), family.json, checkpoint. Required. */
  out: string;
  /** Default "topk". */
  arch: RunArchitecture;
  /** Tokens per training step. Default 4096. */
  batch: number;
  /** Adam learning rate for every size; default per size 2e-4 / √(d_sae / 2^14). */
  lr?: number;
  /** Steps of linear learning-rate warm-up. Default min(1000, ⌈steps / 10⌉): sparsify's 1,000, scaled down for short runs (lrWarmupSteps). */
  lrWarmup?: number;
  /** Largest global gradient norm per step, 0 = no clipping. Default 1.0 (the SAE core's gradClipNorm). */
  gradClip?: number;
  /** Tokens per window including BOS. Default 64 (Gao et al.). */
  context: number;
  /** Seed of data order, shuffling and SAE initialisation. Default 0. */
  seed: number;
  /** Initialise every size from one random stream (a larger size then starts with a smaller one's rows); default false: each its own (initSeed). */
  sharedInit: boolean;
  /** Steps between checkpoints; 0 only checkpoints on cancel and at the end. Default 100. */
  checkpointEvery: number;
  /** Steps between progress events. Default 10. */
  logEvery: number;
  /** Folder of an activation cache to reuse or build (see data/activation-cache.ts). Default none. */
  cacheActivations?: string;
  /** Precision of cached activations. Default "f16". */
  cacheDtype: CacheDtype;
  /** A latent is dead after this many tokens without firing. Default min(10M, max(batch, tokens / 4)). */
  deadWindow?: number;
  /** Dead latents per token in the AuxK loss; 0 turns AuxK off. Default d_in / 2 (SAE core's default). */
  auxK?: number;
  /** Add Multi-TopK's L(4k)/8 term (topk only). Default false. */
  multiTopK: boolean;
  /** L1 coefficient of the relu and gated architectures. Default 1 (SAE core's default). */
  l1Coefficient?: number;
  /** Steps over which the relu architecture's L1 coefficient rises from 0. Default ⌈5% of the steps⌉ (April 2024 recipe). */
  l1Warmup?: number;
  /** L0 coefficient λ of the jumprelu architecture. Default 1e-3 (SAE core's default). */
  l0Coefficient?: number;
  /**
   * Initial threshold θ of the jumprelu architecture, in units of √E‖x − μ‖². Default 0.001 (the
   * paper's, for runs of ~10⁵ steps: Adam moves log θ by about the learning rate per step, so a
   * short run that must sparsify needs θ to start nearer the pre-activations' noise).
   */
  jumpReluThreshold?: number;
  /** Input normalisation (SAELens names). Default "layer_norm" (Gao et al.). */
  normalize: TrainNormalization;
  /** Held-out activation tokens for the final evals. Default 16384. */
  evalTokens: number;
  /** Every `holdoutEvery`-th window is held out for evals. Default 20. */
  holdoutEvery: number;
  /** Training batches mixed in the shuffling buffer. Default 8. */
  bufferBatches: number;
  /** Windows per GPT-2 forward pass. Default 8: on wasm, GPT-2 small plus XNNPACK's packed weights leave little heap for larger passes. */
  modelBatch: number;
  /** Activations sampled to fit the normalisation and initialise b_dec, in tokens. Default 4096. */
  initTokens: number;
  /** Worker threads per SAE (latents sharded). Default 1. */
  shards: number;
  /** Worker threads the GPT-2 forward runs on (model/pool.ts), window groups split across them; 1 is this thread. Default 1 (the CLI and the app default to every core). */
  modelThreads: number;
  /** Continue from the checkpoint in `out`. Default false. */
  resume: boolean;
}

/**
 * What shapes the SAEs of a run and their optimisation, whatever the activations come from: the
 * family trainer's run config has it all, and the recovery benchmark gives it for synthetic data.
 */
export type SaeRunSettings = Pick<
  TrainRunConfig,
  'arch' | 'k' | 'tokens' | 'batch' | 'lr' | 'lrWarmup' | 'gradClip' | 'seed' | 'sharedInit' | 'deadWindow' | 'auxK' | 'multiTopK' | 'l1Coefficient' | 'l1Warmup' | 'l0Coefficient' | 'jumpReluThreshold' | 'normalize' | 'shards'
>;

const DEFAULTS = {
  dataset: DEFAULT_CORPUS,
  textField: 'text',
  k: 32,
  arch: 'topk',
  batch: 4096,
  context: DEFAULT_CONTEXT,
  seed: 0,
  sharedInit: false,
  checkpointEvery: 100,
  logEvery: 10,
  cacheDtype: 'f16',
  multiTopK: false,
  normalize: 'layer_norm',
  evalTokens: 16384,
  holdoutEvery: 20,
  bufferBatches: 8,
  modelBatch: 8,
  initTokens: 4096,
  shards: 1,
  modelThreads: 1,
  resume: false,
} satisfies Partial<TrainRunConfig>;

const OPTIONAL = ['latents', 'expansion', 'lr', 'lrWarmup', 'gradClip', 'cacheActivations', 'deadWindow', 'auxK', 'l1Coefficient', 'l1Warmup', 'l0Coefficient', 'jumpReluThreshold'] as const;
const REQUIRED = ['model', 'hook', 'tokens', 'out'] as const;
const KNOWN = new Set<string>([...REQUIRED, ...OPTIONAL, ...Object.keys(DEFAULTS)]);

/** Fields that may differ between a run and the run it resumes (they change no trained number). */
export const RESUMABLE_CHANGES: ReadonlyArray<keyof TrainRunConfig> = ['resume', 'checkpointEvery', 'logEvery', 'cacheActivations', 'evalTokens', 'modelBatch', 'shards', 'modelThreads', 'out'];

function fail(key: string, value: unknown, expected: string): never {
  throw new Error(`train config: "${key}" = ${JSON.stringify(value)} is invalid; expected ${expected}`);
}

function positiveInt(v: unknown, key: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(key, v, max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`);
  return v;
}

function sizes(v: unknown, key: string): number[] {
  if (!Array.isArray(v) || v.length === 0) fail(key, v, 'a non-empty list of positive numbers');
  if (v.length > TRAIN_LIMITS.sizes) fail(key, v, `at most ${TRAIN_LIMITS.sizes} sizes`);
  for (const x of v) if (typeof x !== 'number' || !(x > 0)) fail(key, v, 'a non-empty list of positive numbers');
  if (new Set(v).size !== v.length) fail(key, v, 'distinct sizes');
  return v as number[];
}

function oneOf<T extends string>(v: unknown, key: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(key, v, `one of ${allowed.join(', ')}`);
  return v as T;
}

/** Fills defaults and checks every field; errors name the field, the value and what would be valid. */
export function validateTrainRunConfig(input: unknown): TrainRunConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('(config)', input, 'an object');
  const raw = Object.fromEntries(Object.entries(input as Record<string, unknown>).filter(([, v]) => v !== undefined));
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) throw new Error(`train config: unknown key "${key}"; known keys are ${[...KNOWN].join(', ')}`);
  }
  for (const key of REQUIRED) if (raw[key] === undefined) throw new Error(`train config: "${key}" is required`);
  const c = { ...DEFAULTS, ...raw } as Record<string, unknown>;
  for (const key of ['model', 'dataset', 'textField', 'hook', 'out'] as const) {
    if (typeof c[key] !== 'string' || c[key] === '') fail(key, c[key], 'a non-empty string');
  }
  if ((c.latents === undefined) === (c.expansion === undefined)) {
    throw new Error('train config: give exactly one of "latents" (e.g. [1024, 4096]) and "expansion" (e.g. [4, 16])');
  }
  const config: TrainRunConfig = {
    model: c.model as string,
    dataset: c.dataset as string,
    textField: c.textField as string,
    hook: c.hook as string,
    latents: c.latents === undefined ? undefined : sizes(c.latents, 'latents').map((n) => positiveInt(n, 'latents', 1, TRAIN_LIMITS.latents)),
    expansion: c.expansion === undefined ? undefined : sizes(c.expansion, 'expansion'),
    k: positiveInt(c.k, 'k', 1, TRAIN_LIMITS.k),
    tokens: positiveInt(c.tokens, 'tokens', 1, TRAIN_LIMITS.tokens),
    out: c.out as string,
    arch: oneOf(c.arch, 'arch', RUN_ARCHITECTURES),
    batch: positiveInt(c.batch, 'batch', 1, TRAIN_LIMITS.batch),
    lr: c.lr === undefined ? undefined : typeof c.lr === 'number' && c.lr > 0 && Number.isFinite(c.lr) ? c.lr : fail('lr', c.lr, 'a finite number > 0'),
    lrWarmup: c.lrWarmup === undefined ? undefined : positiveInt(c.lrWarmup, 'lrWarmup', 0),
    gradClip: c.gradClip === undefined ? undefined : typeof c.gradClip === 'number' && c.gradClip >= 0 && Number.isFinite(c.gradClip) ? c.gradClip : fail('gradClip', c.gradClip, 'a finite number ≥ 0 (0 = no clipping)'),
    context: positiveInt(c.context, 'context', 2),
    seed: positiveInt(c.seed, 'seed', 0),
    sharedInit: typeof c.sharedInit === 'boolean' ? c.sharedInit : fail('sharedInit', c.sharedInit, 'true or false'),
    checkpointEvery: positiveInt(c.checkpointEvery, 'checkpointEvery', 0),
    logEvery: positiveInt(c.logEvery, 'logEvery'),
    cacheActivations: c.cacheActivations === undefined ? undefined : typeof c.cacheActivations === 'string' && c.cacheActivations ? c.cacheActivations : fail('cacheActivations', c.cacheActivations, 'a folder path'),
    cacheDtype: oneOf(c.cacheDtype, 'cacheDtype', ['f16', 'f32'] as const),
    deadWindow: c.deadWindow === undefined ? undefined : positiveInt(c.deadWindow, 'deadWindow'),
    auxK: c.auxK === undefined ? undefined : positiveInt(c.auxK, 'auxK', 0),
    multiTopK: typeof c.multiTopK === 'boolean' ? c.multiTopK : fail('multiTopK', c.multiTopK, 'true or false'),
    l1Coefficient: c.l1Coefficient === undefined ? undefined : typeof c.l1Coefficient === 'number' && c.l1Coefficient >= 0 ? c.l1Coefficient : fail('l1Coefficient', c.l1Coefficient, 'a number ≥ 0'),
    l1Warmup: c.l1Warmup === undefined ? undefined : positiveInt(c.l1Warmup, 'l1Warmup', 0),
    l0Coefficient: c.l0Coefficient === undefined ? undefined : typeof c.l0Coefficient === 'number' && c.l0Coefficient >= 0 && Number.isFinite(c.l0Coefficient) ? c.l0Coefficient : fail('l0Coefficient', c.l0Coefficient, 'a finite number ≥ 0'),
    jumpReluThreshold:
      c.jumpReluThreshold === undefined ? undefined : typeof c.jumpReluThreshold === 'number' && c.jumpReluThreshold > 0 && Number.isFinite(c.jumpReluThreshold) ? c.jumpReluThreshold : fail('jumpReluThreshold', c.jumpReluThreshold, 'a finite number > 0'),
    normalize: oneOf(c.normalize, 'normalize', ['none', 'layer_norm', 'expected_average_only_in', 'constant_norm_rescale'] as const),
    evalTokens: positiveInt(c.evalTokens, 'evalTokens', 0, TRAIN_LIMITS.evalTokens),
    holdoutEvery: positiveInt(c.holdoutEvery, 'holdoutEvery', 2),
    bufferBatches: positiveInt(c.bufferBatches, 'bufferBatches'),
    modelBatch: positiveInt(c.modelBatch, 'modelBatch'),
    initTokens: positiveInt(c.initTokens, 'initTokens'),
    shards: positiveInt(c.shards, 'shards'),
    modelThreads: positiveInt(c.modelThreads, 'modelThreads', 1, 64),
    resume: typeof c.resume === 'boolean' ? c.resume : fail('resume', c.resume, 'true or false'),
  };
  if (config.multiTopK && config.arch !== 'topk') fail('multiTopK', true, `false: Multi-TopK applies to arch "topk", not "${config.arch}"`);
  if (config.l0Coefficient !== undefined && config.arch !== 'jumprelu') fail('l0Coefficient', config.l0Coefficient, `no value: the L0 penalty applies to arch "jumprelu", not "${config.arch}"`);
  if (config.jumpReluThreshold !== undefined && config.arch !== 'jumprelu') fail('jumpReluThreshold', config.jumpReluThreshold, `no value: the threshold applies to arch "jumprelu", not "${config.arch}"`);
  const sizeCount = (config.latents ?? config.expansion!).length;
  if (config.arch === 'matryoshka' && sizeCount < 2) {
    fail(config.latents ? 'latents' : 'expansion', config.latents ?? config.expansion, 'at least two sizes for arch "matryoshka": the smaller ones are nested prefixes of the largest (e.g. [1024, 4096, 16384])');
  }
  return config;
}

/**
 * Seed of one size's initialisation: the run's seed when sizes share their init, else a stream of its
 * own mixed from (seed, d_sae), so latent i of two sizes starts from unrelated directions.
 */
export function initSeed(config: SaeRunSettings, dSae: number): number {
  if (config.sharedInit) return config.seed;
  return (Math.imul(config.seed + 1, 0x9e3779b1) ^ Math.imul(dSae, 0x85ebca6b)) >>> 0;
}

/** SAE core architecture of a CLI architecture name. */
export function saeArchitecture(arch: RunArchitecture): SaeTrainArchitecture {
  if (arch === 'relu') return 'standard';
  if (arch === 'matryoshka') return 'matryoshka_batchtopk';
  return arch;
}

/**
 * The SAEs a run trains, as dictionary sizes: one per size, except matryoshka, whose one SAE is the
 * largest size with the others as its nested prefixes.
 */
export function trainedSizes(config: SaeRunSettings, sizes: number[]): number[] {
  return config.arch === 'matryoshka' ? [Math.max(...sizes)] : sizes;
}

/** Dictionary sizes in latents, ascending, given the hook's width. */
export function resolveSizes(config: TrainRunConfig, dIn: number): number[] {
  const sizes = config.latents ?? config.expansion!.map((e) => {
    const n = e * dIn;
    if (!Number.isInteger(n)) throw new Error(`train config: expansion ${e} × d_in ${dIn} = ${n} is not a whole number of latents`);
    return n;
  });
  return [...sizes].sort((a, b) => a - b);
}

/** Steps of the run: tokens rounded up to whole batches. */
export function totalSteps(config: SaeRunSettings): number {
  return Math.ceil(config.tokens / config.batch);
}

/** Warm-up steps the run uses: as given, else sparsify's 1,000 or a tenth of the run if shorter. */
export function lrWarmupSteps(config: SaeRunSettings): number {
  return config.lrWarmup ?? Math.min(1000, Math.ceil(totalSteps(config) / 10));
}

/** L1 warm-up steps of a relu run: as given, else the first 5% of the steps (April 2024 recipe); 0 for other architectures. */
export function l1WarmupSteps(config: SaeRunSettings): number {
  if (config.arch !== 'relu') return 0;
  return config.l1Warmup ?? Math.ceil(0.05 * totalSteps(config));
}

/** The dead window the run uses: the paper's 10M tokens, scaled down for short runs. */
export function deadWindowTokens(config: SaeRunSettings): number {
  return config.deadWindow ?? Math.min(10_000_000, Math.max(config.batch, Math.floor(config.tokens / 4)));
}
