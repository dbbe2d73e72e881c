// Held-out evaluation of a GPT-2 folder against count-based baselines, on the split `lm train` uses:
// the model's cross-entropy through the app's own loader and forward (full-vocabulary softmax, as any
// user's GPT-2 folder is run), and on exactly the same predicted positions the add-one unigram and
// the interpolated bigram (bigram.ts) of the training windows. A folder written by `lm train` carries
// lm_training.json, whose corpus, split, window length and held-out size are the defaults here, so
// the figures are those of the run's own held-out loss.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tf } from '../engine/backend.js';
import { gpt2OnnxRuntime } from '../engine/onnx.js';
import { OnnxGpt2 } from '../model/onnx-gpt2.js';
import { openSafetensors } from '../io/safetensors.js';
import type { Gpt2 } from '../model/gpt2.js';
import type { WindowSet, WindowTokenizer } from '../data/windows.js';
import { DEFAULT_CORPUS } from '../data/corpora/index.js';
import { bigramHeldOutLoss, chooseLambda, countBigrams } from './bigram.js';
import { totalSteps, validateLmTrainConfig } from './config.js';
import { corpusTokenIds, readLmData, unigramCounts, unigramHeldOutLoss, type LmData, type LmDataConfig } from './data.js';

/** The run record `lm train` writes beside the model (trainer.ts's LM_TRAINING_FILE). */
const RUN_RECORD = 'lm_training.json';
/** The trainer's default held-out size, in predicted positions. */
const DEFAULT_HELD_OUT_TOKENS = 16384;
/** Windows per forward pass, and logit rows per log-softmax (at 50,257 tokens, 100 MB per 512 rows). */
const BATCH_WINDOWS = 8;
const CHUNK_ROWS = 512;

export interface LmEvalOptions {
  dataset?: string;
  textField?: string;
  holdoutEvery?: number;
  /** Predicted positions per window (the window is BOS + ctx tokens). */
  ctx?: number;
  /** Held-out predicted positions, rounded up to whole windows; 'all' reads every held-out document. */
  tokens?: number | 'all';
}

export interface LmEvalSettings extends LmDataConfig {
  /** Training windows the baselines count: those the run read, or all when there is no matching record. */
  trainWindows: number;
  /** Where the defaults came from: the run record's path, or "defaults". */
  source: string;
}

export interface LmEvalResult {
  settings: LmEvalSettings;
  /** Predicted held-out positions every figure is averaged over. */
  positions: number;
  /** Predicted positions of the training windows the baselines were counted on. */
  trainTokens: number;
  /** Dtypes of the model's stored weights (e.g. ["F16"]); empty for a sharded checkpoint. */
  weightDtypes: string[];
  /** Cross-entropies in nats/token. */
  modelLoss: number;
  bigramLoss: number;
  unigramLoss: number;
  /** The bigram's interpolation weight and the leave-one-out loss it was chosen by. */
  lambda: number;
  lambdaLeaveOneOutLoss: number;
}

function checkInteger(flag: string, value: number, min: number, max = Infinity): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${flag} ${value} is invalid; expected an integer from ${min}${max === Infinity ? ' up' : ` to ${max}`}`);
  return value;
}

/** The split and windows to evaluate on: explicit options, else the model's run record, else lm train's defaults. */
export function resolveEvalSettings(modelDir: string, nPositions: number, options: LmEvalOptions = {}): LmEvalSettings {
  const recordPath = path.join(modelDir, RUN_RECORD);
  let record: ReturnType<typeof validateLmTrainConfig> | undefined;
  if (existsSync(recordPath)) {
    try {
      record = validateLmTrainConfig((JSON.parse(readFileSync(recordPath, 'utf8')) as { config?: unknown }).config);
    } catch (err) {
      throw new Error(`${recordPath}: not a run record of lm train (${(err as Error).message}); move it aside to evaluate with explicit --dataset, --holdout-every and --ctx`);
    }
  }
  const dataset = options.dataset ?? record?.dataset ?? DEFAULT_CORPUS;
  const textField = options.textField ?? record?.textField ?? 'text';
  const holdoutEvery = checkInteger('--holdout-every', options.holdoutEvery ?? record?.holdoutEvery ?? 20, 2);
  const ctx = checkInteger('--ctx', options.ctx ?? record?.ctx ?? nPositions, 1, nPositions);
  const tokens = options.tokens ?? record?.evalTokens ?? DEFAULT_HELD_OUT_TOKENS;
  const evalTokens = tokens === 'all' ? Infinity : checkInteger('--tokens', tokens, 1);
  // The run's own training windows only while the split and windows are the run's.
  const sameSplit = record !== undefined && dataset === record.dataset && textField === record.textField && holdoutEvery === record.holdoutEvery && ctx === record.ctx;
  return { dataset, textField, holdoutEvery, ctx, evalTokens, trainWindows: sameSplit ? totalSteps(record!) * record!.batch : Infinity, source: record ? recordPath : 'defaults' };
}

export interface LmEvalProgress {
  signal?: AbortSignal;
  /** After each forward pass: held-out positions measured so far, of all. */
  onPositions?: (done: number, total: number) => void;
}

/**
 * Mean next-token cross-entropy (nats/token) of `model` over every predicted position of the
 * windows, full softmax. Yields the event loop between forward passes, so a cancel can arrive.
 */
export async function modelHeldOutLoss(model: Gpt2, windows: WindowSet, progress: LmEvalProgress = {}): Promise<number> {
  const { contextSize, count, tokens } = windows;
  const ctx = contextSize - 1;
  const d = model.config.nEmbd;
  // ONNX Runtime computes the same full-softmax loss several times faster where it runs (engine/onnx.ts).
  const ort = gpt2OnnxRuntime();
  const onnx = ort ? OnnxGpt2.of(model, ort) : undefined;
  let sum = 0;
  for (let start = 0; start < count; start += BATCH_WINDOWS) {
    await new Promise((resolve) => setImmediate(resolve));
    progress.signal?.throwIfAborted();
    const n = Math.min(BATCH_WINDOWS, count - start);
    const inputs = new Int32Array(n * ctx);
    const targets = new Int32Array(n * ctx);
    for (let b = 0; b < n; b++) {
      const base = (start + b) * contextSize;
      for (let p = 0; p < ctx; p++) {
        inputs[b * ctx + p] = tokens[base + p];
        targets[b * ctx + p] = tokens[base + p + 1];
      }
    }
    if (onnx) {
      const { loss } = await onnx.run(inputs, n, ctx, { outputs: [], loss: true }, targets); // [n·ctx]
      for (const l of loss!) sum += l;
      progress.onPositions?.((start + n) * ctx, count * ctx);
      continue;
    }
    const input = tf.tensor2d(inputs, [n, ctx], 'int32'); // [n, ctx]
    const { cache } = model.run(input, { stopAt: 'ln_final.hook_normalized', cache: ['ln_final.hook_normalized'] });
    input.dispose();
    const final = cache.get('ln_final.hook_normalized')!; // [n, ctx, d_model]
    try {
      for (let row = 0; row < n * ctx; row += CHUNK_ROWS) {
        const m = Math.min(CHUNK_ROWS, n * ctx - row);
        const chunk = tf.tidy(() => {
          const x = final.reshape([n * ctx, d]).slice([row, 0], [m, d]) as tf.Tensor2D; // [m, d_model]
          const logProbs = tf.logSoftmax(model.unembedNormalized(x)); // [m, vocab]
          const pairs = tf.stack([tf.range(0, m, 1, 'int32'), tf.tensor1d(targets.subarray(row, row + m), 'int32')], 1); // [m, 2]
          return tf.gatherND(logProbs, pairs).sum(); // []
        });
        sum -= chunk.dataSync()[0];
        chunk.dispose();
      }
    } finally {
      final.dispose();
    }
    progress.onPositions?.((start + n) * ctx, count * ctx);
  }
  return sum / (count * ctx);
}

/** The held-out and training windows of `settings`, read with the model's tokenizer. */
export function readEvalData(settings: LmEvalSettings, tokenizer: WindowTokenizer, signal?: AbortSignal): Promise<LmData> {
  return readLmData(settings, tokenizer, settings.trainWindows, signal);
}

/** Dtypes stored in `dir`/model.safetensors (none listed for a sharded checkpoint). */
export function weightDtypes(dir: string): string[] {
  const file = path.join(dir, 'model.safetensors');
  if (!existsSync(file)) return [];
  const st = openSafetensors(file);
  return [...new Set(st.names().map((name) => st.info(name).dtype))].sort();
}

/** Evaluates `model` (loaded from `modelDir`) and both baselines on the same held-out positions. */
export async function evaluateLm(model: Gpt2, modelDir: string, settings: LmEvalSettings, data: LmData, progress: LmEvalProgress = {}): Promise<LmEvalResult> {
  const ids = corpusTokenIds(data, model.config.eosTokenId);
  const unigram = unigramCounts(data.train, ids);
  const bigrams = countBigrams(data.train);
  const { lambda, leaveOneOutLoss } = chooseLambda(bigrams, unigram);
  return {
    settings,
    positions: data.heldOut.count * settings.ctx,
    trainTokens: data.train.count * settings.ctx,
    weightDtypes: weightDtypes(modelDir),
    modelLoss: await modelHeldOutLoss(model, data.heldOut, progress),
    bigramLoss: bigramHeldOutLoss(bigrams, unigram, lambda, data.heldOut),
    unigramLoss: unigramHeldOutLoss(data, ids),
    lambda,
    lambdaLeaveOneOutLoss: leaveOneOutLoss,
  };
}
