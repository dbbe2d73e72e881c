// The configuration of one language-model pretraining run (what `sae-explorer lm train` and the app's
// lm.train job pass in): every field with its unit and default, validated in one function, unknown
// keys rejected. Defaults follow nanoGPT's small-model recipe (AdamW β2 0.95, decay 0.1, clip 1).
import { DEFAULT_CORPUS } from '../data/corpora/index.js';
import type { AttentionPath } from '../model/attention.js';

/** "corpus": softmax over the corpus's tokens plus one shared row for the rest (exact, see loss.ts); "full": the whole vocabulary. */
export type TrainVocabMode = 'corpus' | 'full';

export interface LmTrainConfig {
  /** Corpus: "sotu", a .txt/.jsonl/.parquet file or folder, or a Hub dataset. Default "sotu". */
  dataset: string;
  /** Text field (jsonl) or column (parquet). Default "text". */
  textField: string;
  /** Output: a Hugging Face GPT-2 folder, plus checkpoint.safetensors and snapshots/ while training. Required. */
  out: string;
  /** A GPT-2 folder to continue from (its shape wins over layers/dModel/heads/ctx). Default none: from scratch. */
  from?: string;
  /**
   * From scratch only: a folder holding vocab.json and merges.txt (what `lm tokenizer` writes); the
   * model's vocabulary is that BPE and the exported folder carries it. Default none: GPT-2's 50,257 tokens.
   */
  tokenizer?: string;
  /** Transformer blocks (from scratch). Default 4. */
  layers: number;
  /** Residual width (from scratch). Default 128. */
  dModel: number;
  /** Attention heads, dividing dModel (from scratch). Default 4. */
  heads: number;
  /** Context in tokens: n_positions from scratch, the training window length either way. Default 128. */
  ctx: number;
  /** Training tokens (predicted positions); rounded up to whole steps. Required. */
  tokens: number;
  /** Windows of ctx tokens per step. Default 16. */
  batch: number;
  /** Peak learning rate, reached after warm-up. Default 1e-3. */
  lr: number;
  /** Learning rate at the end of the cosine decay, as a fraction of lr. Default 0.1. */
  minLrRatio: number;
  /** Linear warm-up, in steps. Default 5% of the steps (at least 1). */
  warmupSteps?: number;
  /** AdamW's decoupled weight decay on the linear layers' weights (none on biases, LayerNorms, embeddings). Default 0.1. */
  weightDecay: number;
  /** Default 0.9. */
  beta1: number;
  /** Default 0.95. */
  beta2: number;
  /** Default 1e-8. */
  eps: number;
  /** Largest global gradient norm; larger gradients are scaled down to it; 0 turns clipping off. Default 1. */
  gradClip: number;
  /** Default "corpus" from scratch, "full" with `from` (whose unseen rows "corpus" would replace). */
  vocab: TrainVocabMode;
  /** Every `holdoutEvery`-th document is held out. Default 20. */
  holdoutEvery: number;
  /** Held-out tokens evaluated at intervals (at most what the held-out documents hold). Default 16384. */
  evalTokens: number;
  /** Steps between held-out evaluations (and one at the end); 0 only at the end. Default 100. */
  evalEvery: number;
  /** Steps between checkpoints; 0 only on cancel and at the end. Default 100. */
  checkpointEvery: number;
  /** Steps between progress events. Default 10. */
  logEvery: number;
  /** Fractions of the tokens (0 < f < 1) at which a snapshot model folder is kept under out/snapshots/. Default none. */
  keepAt: number[];
  /** Seed of initialisation and data order. Default 0. */
  seed: number;
  /** Continue from the checkpoint in `out`. Default false. */
  resume: boolean;
  /**
   * Worker threads the step runs on, data-parallel (the batch's windows split across them, each with
   * its own wasm instance; see parallel.ts); at most batch. 1 runs the step in this thread. Default 1.
   */
  threads: number;
  /**
   * How attention is computed on wasm: "kernel", the fused kernel (engine/causal-attention.ts), or
   * "ops", tfjs ops (slower; the two round differently). Default "kernel".
   */
  attention: AttentionPath;
  /**
   * Where the unembedding and cross-entropy run: "onnx", ONNX Runtime (several times faster; see
   * onnx-loss.ts), "tfjs", the tensor engine, or "auto", ONNX Runtime on the wasm and cpu backends
   * when it loads (as GPT-2's inference forward, SAE_GPT2_RUNTIME). The two round differently. Default "auto".
   */
  lossRuntime: LossRuntime;
}

export type LossRuntime = 'auto' | 'onnx' | 'tfjs';

const DEFAULTS = {
  dataset: DEFAULT_CORPUS,
  textField: 'text',
  layers: 4,
  dModel: 128,
  heads: 4,
  ctx: 128,
  batch: 16,
  lr: 1e-3,
  minLrRatio: 0.1,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  gradClip: 1,
  holdoutEvery: 20,
  evalTokens: 16384,
  evalEvery: 100,
  checkpointEvery: 100,
  logEvery: 10,
  keepAt: [] as number[],
  seed: 0,
  resume: false,
  threads: 1,
  attention: 'kernel',
  lossRuntime: 'auto',
} satisfies Partial<LmTrainConfig>;

const OPTIONAL = ['from', 'tokenizer', 'warmupSteps', 'vocab'] as const;
const REQUIRED = ['out', 'tokens'] as const;
const KNOWN = new Set<string>([...REQUIRED, ...OPTIONAL, ...Object.keys(DEFAULTS)]);

/**
 * Fields that may differ between a run and the run it resumes: they change no trained number, except
 * threads, attention and lossRuntime, which change only float rounding (threads the order gradients are summed in):
 * a run resumed with the same values continues bitwise; with others, within that rounding.
 */
export const RESUMABLE_CHANGES: ReadonlyArray<keyof LmTrainConfig> = ['resume', 'checkpointEvery', 'logEvery', 'out', 'threads', 'attention', 'lossRuntime'];

/** More worker threads than this is a mistake, not a machine. */
const MAX_THREADS = 64;

function fail(key: string, value: unknown, expected: string): never {
  throw new Error(`lm train config: "${key}" = ${JSON.stringify(value)} is invalid; expected ${expected}`);
}

function integer(v: unknown, key: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(key, v, `an integer ≥ ${min}`);
  return v;
}

function number(v: unknown, key: string, min: number, max: number, open = false): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (open ? v > min : v >= min) && v <= max;
  if (!ok) fail(key, v, `a number ${open ? '>' : '≥'} ${min} and ≤ ${max}`);
  return v as number;
}

function text(v: unknown, key: string): string {
  if (typeof v !== 'string' || v === '') fail(key, v, 'a non-empty string');
  return v;
}

/** Fills defaults and checks every field; errors name the field, the value and what would be valid. */
export function validateLmTrainConfig(input: unknown): LmTrainConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('(config)', input, 'an object');
  const raw = Object.fromEntries(Object.entries(input as Record<string, unknown>).filter(([, v]) => v !== undefined));
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) throw new Error(`lm train config: unknown key "${key}"; known keys are ${[...KNOWN].join(', ')}`);
  }
  for (const key of REQUIRED) if (raw[key] === undefined) throw new Error(`lm train config: "${key}" is required`);
  const c = { ...DEFAULTS, ...raw } as Record<string, unknown>;
  const keepAt = c.keepAt;
  if (!Array.isArray(keepAt) || keepAt.some((f) => typeof f !== 'number' || !(f > 0 && f < 1)) || new Set(keepAt).size !== keepAt.length) {
    fail('keepAt', keepAt, 'a list of distinct fractions strictly between 0 and 1, e.g. [0.05, 0.25]');
  }
  const config: LmTrainConfig = {
    dataset: text(c.dataset, 'dataset'),
    textField: text(c.textField, 'textField'),
    out: text(c.out, 'out'),
    from: c.from === undefined ? undefined : text(c.from, 'from'),
    tokenizer: c.tokenizer === undefined ? undefined : text(c.tokenizer, 'tokenizer'),
    layers: integer(c.layers, 'layers', 1),
    dModel: integer(c.dModel, 'dModel', 1),
    heads: integer(c.heads, 'heads', 1),
    ctx: integer(c.ctx, 'ctx', 2),
    tokens: integer(c.tokens, 'tokens', 1),
    batch: integer(c.batch, 'batch', 1),
    lr: number(c.lr, 'lr', 0, 1, true),
    minLrRatio: number(c.minLrRatio, 'minLrRatio', 0, 1),
    warmupSteps: c.warmupSteps === undefined ? undefined : integer(c.warmupSteps, 'warmupSteps', 0),
    weightDecay: number(c.weightDecay, 'weightDecay', 0, 1),
    beta1: number(c.beta1, 'beta1', 0, 0.999999),
    beta2: number(c.beta2, 'beta2', 0, 0.999999),
    eps: number(c.eps, 'eps', 0, 1, true),
    gradClip: number(c.gradClip, 'gradClip', 0, Number.MAX_VALUE),
    vocab: c.vocab === undefined ? (c.from === undefined ? 'corpus' : 'full') : (['corpus', 'full'].includes(c.vocab as string) ? (c.vocab as TrainVocabMode) : fail('vocab', c.vocab, '"corpus" or "full"')),
    holdoutEvery: integer(c.holdoutEvery, 'holdoutEvery', 2),
    evalTokens: integer(c.evalTokens, 'evalTokens', 1),
    evalEvery: integer(c.evalEvery, 'evalEvery', 0),
    checkpointEvery: integer(c.checkpointEvery, 'checkpointEvery', 0),
    logEvery: integer(c.logEvery, 'logEvery', 1),
    keepAt: [...(keepAt as number[])].sort((a, b) => a - b),
    seed: integer(c.seed, 'seed', 0),
    resume: typeof c.resume === 'boolean' ? c.resume : fail('resume', c.resume, 'true or false'),
    threads: integer(c.threads, 'threads', 1),
    attention: ['kernel', 'ops'].includes(c.attention as string) ? (c.attention as AttentionPath) : fail('attention', c.attention, '"kernel" or "ops"'),
    lossRuntime: ['auto', 'onnx', 'tfjs'].includes(c.lossRuntime as string) ? (c.lossRuntime as LossRuntime) : fail('lossRuntime', c.lossRuntime, '"auto", "onnx" or "tfjs"'),
  };
  if (config.threads > Math.min(config.batch, MAX_THREADS)) {
    fail('threads', config.threads, `an integer from 1 to ${Math.min(config.batch, MAX_THREADS)} (each thread takes at least one of the batch's ${config.batch} windows; at most ${MAX_THREADS})`);
  }
  if (config.from !== undefined && config.tokenizer !== undefined) {
    fail('tokenizer', config.tokenizer, `no tokenizer when continuing from ${config.from}: a model keeps the vocabulary it was trained with (drop "tokenizer", or train from scratch without "from")`);
  }
  if (config.from === undefined && config.dModel % config.heads !== 0) fail('heads', config.heads, `a divisor of dModel (${config.dModel})`);
  if (config.from !== undefined && config.vocab === 'corpus') {
    fail('vocab', 'corpus', `"full" when continuing from ${config.from}: "corpus" ties every token absent from the corpus to one shared row, which would overwrite those rows of the model's wte`);
  }
  return config;
}

/** Training steps: tokens rounded up to whole steps of batch × ctx predicted positions. */
export function totalSteps(config: LmTrainConfig): number {
  return Math.ceil(config.tokens / (config.batch * config.ctx));
}

export function warmupSteps(config: LmTrainConfig): number {
  return config.warmupSteps ?? Math.max(1, Math.round(0.05 * totalSteps(config)));
}

/** Learning rate of 1-based step `t`: linear warm-up to lr, then cosine decay to lr·minLrRatio at the last step. */
export function learningRate(config: LmTrainConfig, t: number): number {
  const warm = warmupSteps(config);
  if (t <= warm) return (config.lr * t) / warm;
  const steps = totalSteps(config);
  const progress = steps > warm ? (t - warm) / (steps - warm) : 1;
  const min = config.lr * config.minLrRatio;
  return min + 0.5 * (config.lr - min) * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}
