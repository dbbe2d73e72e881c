// Held-out evaluation of one SAE on a GPT-2: reconstruction quality at the hook and what splicing the
// reconstruction into the forward pass costs the language model. Definitions (also written into
// eval.json so a reader never has to guess):
// - nmse: Σ‖x − x̂‖² ÷ Σ‖x − mean(x)‖² over all eval tokens, mean(x) taken over those tokens
//   (fraction of variance unexplained, OpenAI train.py); explained_variance = 1 − nmse.
// - l0: mean number of non-zero latents per token. dead_frac: latents that never fired on the eval tokens.
// - ce_clean / ce_sae / ce_zero_ablation: next-token cross-entropy (nats, mean over predicted
//   positions) with the hook activation untouched / replaced by x̂ / replaced by zeros. The BOS
//   position is left untouched in every case, as in training, which never sees it.
// - delta_lm_loss = ce_sae − ce_clean; ce_loss_score = (ce_zero_ablation − ce_sae) ÷ (ce_zero_ablation − ce_clean) (SAELens).
import { join } from 'node:path';
import { tf } from '../engine/backend.js';
import { writeJsonAtomic } from '../io/atomic.js';
import type { Gpt2 } from '../model/gpt2.js';
import { createSaeRunner } from '../sae/inference.js';
import type { SaeBundle } from '../sae/types.js';
import type { HookName } from '../../src-shared/hooks.js';
import { openCorpus } from '../data/corpora/index.js';
import { buildWindows, splitWindows, windowAt, type WindowSet, type WindowTokenizer } from '../data/windows.js';
import { loadTokenizer } from '../tokenizer/load.js';

export interface EvalOptions {
  model: Pick<Gpt2, 'config' | 'lossPerToken'>;
  sae: SaeBundle;
  /** Held-out windows; when omitted, `dataset` is read and its validation split used. */
  windows?: WindowSet;
  /** Which windows of `windows` to use, in order (default: all). */
  indices?: ArrayLike<number>;
  /** Corpus spec (see openCorpus) when no windows are given. */
  dataset?: string;
  /** Text field of a jsonl/parquet `dataset`. Default `text`. */
  textField?: string;
  /** Tokenizer for `dataset`; GPT-2's by default. */
  tokenizer?: WindowTokenizer;
  /** Every `holdoutEvery`-th window of `dataset` is held out (must match training). Default 20. */
  holdoutEvery?: number;
  /** Activation tokens to evaluate on (BOS excluded); rounded up to whole windows. */
  tokens: number;
  /** Windows per forward pass. */
  batch: number;
  signal?: AbortSignal;
}

export interface EvalResult {
  dSae: number;
  k: number | null;
  /** Activation tokens evaluated (BOS positions excluded). */
  tokens: number;
  nmse: number;
  explainedVariance: number;
  l0: number;
  deadFrac: number;
  ceClean: number;
  ceSae: number;
  ceZeroAblation: number;
  deltaLmLoss: number;
  ceLossScore: number;
}

export const EVAL_DEFINITIONS = {
  nmse: 'sum ||x - x_hat||^2 / sum ||x - mean(x)||^2 over all eval tokens (fraction of variance unexplained)',
  explained_variance: '1 - nmse',
  l0: 'mean number of non-zero latents per token',
  dead_frac: 'fraction of latents that never fired on the eval tokens',
  ce: 'next-token cross-entropy in nats, mean over predicted positions; BOS position never replaced',
  delta_lm_loss: 'ce_sae - ce_clean',
  ce_loss_score: '(ce_zero_ablation - ce_sae) / (ce_zero_ablation - ce_clean)',
};

async function heldOutWindows(options: Omit<EvalOptions, 'sae'>, contextSize: number, needed: number): Promise<{ windows: WindowSet; indices: ArrayLike<number> }> {
  if (options.windows) return { windows: options.windows, indices: options.indices ?? Array.from({ length: options.windows.count }, (_, i) => i) };
  if (!options.dataset) throw new Error('evaluateSae: pass held-out `windows` or a `dataset` to read them from');
  const every = options.holdoutEvery ?? 20;
  const tokenizer = options.tokenizer ?? (await loadTokenizer());
  const windows = await buildWindows(openCorpus(options.dataset, { textField: options.textField }), tokenizer, { contextSize, maxWindows: needed * every, signal: options.signal });
  return { windows, indices: splitWindows(windows.count, every).validation };
}

/** Sums over eval tokens, kept in float64 on the host so long evals do not lose precision. */
class Totals {
  tokens = 0;
  sqErr = 0;
  sqNorm = 0;
  sum: Float64Array;
  active = 0;
  fired: Uint8Array;
  ce = { clean: 0, sae: 0, abl: 0, positions: 0 };
  constructor(dIn: number, dSae: number) {
    this.sum = new Float64Array(dIn);
    this.fired = new Uint8Array(dSae);
  }
}

/** Evaluates one SAE on held-out data (see the file comment for every definition). */
export async function evaluateSae(options: EvalOptions): Promise<EvalResult> {
  const { sae, ...rest } = options;
  return (await evaluateSaes({ ...rest, saes: [sae] }))[0];
}

/**
 * Evaluates SAEs of one hook (a family) on the same held-out tokens; the clean and zero-ablation
 * passes are shared, so n SAEs cost n + 2 forward passes per batch instead of 3n.
 */
export async function evaluateSaes(options: Omit<EvalOptions, 'sae'> & { saes: SaeBundle[] }): Promise<EvalResult[]> {
  const { model, saes } = options;
  if (saes.length === 0) throw new Error('evaluateSaes: no SAEs given');
  const spec = saes[0].spec;
  for (const other of saes) {
    if (other.spec.hookName !== spec.hookName || other.spec.dIn !== spec.dIn || other.spec.contextSize !== spec.contextSize) {
      throw new Error(`evaluateSaes: SAEs evaluated together must share hook, d_in and context; got ${other.spec.hookName}/${other.spec.dIn}/${other.spec.contextSize} beside ${spec.hookName}/${spec.dIn}/${spec.contextSize}`);
    }
  }
  const hook = spec.hookName as HookName;
  const contextSize = Math.min(spec.contextSize, model.config.nPositions);
  if (!Number.isInteger(options.tokens) || options.tokens < 1) throw new Error(`evaluateSae: tokens must be a positive integer, got ${options.tokens}`);
  if (!Number.isInteger(options.batch) || options.batch < 1) throw new Error(`evaluateSae: batch must be a positive integer (windows per forward pass), got ${options.batch}`);
  const wanted = Math.ceil(options.tokens / (contextSize - 1));
  const { windows, indices } = await heldOutWindows(options, contextSize, wanted);
  const ctx = windows.contextSize;
  const nWindows = Math.min(wanted, indices.length);
  if (nWindows === 0) throw new Error(`evaluateSae: no held-out windows of ${ctx} tokens to evaluate ${spec.hookName} on (corpus too short?)`);
  const runners = saes.map((b) => createSaeRunner(b));
  const totals = saes.map((b) => new Totals(b.spec.dIn, b.spec.dSae));
  try {
    for (let start = 0; start < nWindows; start += options.batch) {
      await new Promise((resolve) => setImmediate(resolve)); // lets a cancel (signal) arrive between batches
      options.signal?.throwIfAborted();
      const n = Math.min(options.batch, nWindows - start);
      const ids = new Int32Array(n * ctx);
      for (let i = 0; i < n; i++) ids.set(windowAt(windows, indices[start + i]), i * ctx);
      await evalBatch(model, runners, hook, tf.tensor2d(ids, [n, ctx], 'int32'), spec.dIn, totals);
    }
  } finally {
    for (const r of runners) r.dispose();
  }
  return totals.map((t, i) => summarise(t, saes[i].spec.dSae, saes[i].spec.k ?? null));
}

/** Sum of a [batch, pos − 1] loss tensor, disposing it. */
async function sumLoss(loss: tf.Tensor): Promise<number> {
  const total = tf.sum(loss); // []
  try {
    return (await total.data())[0];
  } finally {
    tf.dispose([loss, total]);
  }
}

async function evalBatch(
  model: EvalOptions['model'],
  runners: Array<ReturnType<typeof createSaeRunner>>,
  hook: HookName,
  tokens: tf.Tensor2D, // [batch, pos]
  dIn: number,
  totals: Totals[],
): Promise<void> {
  const [n, ctx] = tokens.shape;
  let captured: tf.Tensor | undefined;
  const kept: tf.Tensor[] = [tokens];
  try {
    const ceClean = await sumLoss(model.lossPerToken(tokens, [{ name: hook, fn: (act) => void (captured = tf.keep(act.clone())) }])); // [batch, pos − 1]
    if (!captured) throw new Error(`the model never reached hook "${hook}"`);
    kept.push(captured);
    const bos = captured.slice([0, 0, 0], [n, 1, dIn]); // [batch, 1, d]
    const x = captured.slice([0, 1, 0], [n, ctx - 1, dIn]).reshape([n * (ctx - 1), dIn]) as tf.Tensor2D; // [tokens, d]
    const ablated = tf.concat([bos, tf.zeros([n, ctx - 1, dIn])], 1); // [batch, pos, d]
    kept.push(bos, x, ablated);
    const ceAbl = await sumLoss(model.lossPerToken(tokens, [{ name: hook, fn: () => ablated }])); // [batch, pos − 1]
    const xStats = tf.tidy(() => [tf.sum(tf.square(x)), tf.sum(x, 0)]); // [], [d]
    const [sqNorm, sum] = await Promise.all(xStats.map((t) => t.data()));
    tf.dispose(xStats);
    for (let s = 0; s < runners.length; s++) {
      const xHat = runners[s].reconstruct(x); // [tokens, d]
      const z = runners[s].encode(x); // [tokens, dSae]
      const spliced = tf.concat([bos, xHat.reshape([n, ctx - 1, dIn])], 1); // [batch, pos, d]
      try {
        const ceSae = await sumLoss(model.lossPerToken(tokens, [{ name: hook, fn: () => spliced }])); // [batch, pos − 1]
        const stats = tf.tidy(() => [
          tf.sum(tf.square(tf.sub(x, xHat))), // []
          tf.sum(tf.cast(tf.greater(z, 0), 'float32')), // []
          tf.cast(tf.greater(tf.max(z, 0), 0), 'int32'), // [dSae]
        ]);
        const [sqErr, active, fired] = await Promise.all(stats.map((t) => t.data()));
        tf.dispose(stats);
        const t = totals[s];
        t.tokens += n * (ctx - 1);
        t.sqErr += sqErr[0];
        t.sqNorm += sqNorm[0];
        for (let i = 0; i < sum.length; i++) t.sum[i] += sum[i];
        t.active += active[0];
        for (let i = 0; i < fired.length; i++) if (fired[i]) t.fired[i] = 1;
        t.ce.clean += ceClean;
        t.ce.sae += ceSae;
        t.ce.abl += ceAbl;
        t.ce.positions += n * (ctx - 1);
      } finally {
        tf.dispose([xHat, z, spliced]);
      }
    }
  } finally {
    tf.dispose(kept);
  }
}

function summarise(t: Totals, dSae: number, k: number | null): EvalResult {
  let meanSq = 0;
  for (const s of t.sum) meanSq += (s / t.tokens) ** 2;
  const variance = t.sqNorm - t.tokens * meanSq;
  const nmse = t.sqErr / variance;
  const ceClean = t.ce.clean / t.ce.positions;
  const ceSae = t.ce.sae / t.ce.positions;
  const ceZeroAblation = t.ce.abl / t.ce.positions;
  let fired = 0;
  for (const f of t.fired) fired += f;
  return {
    dSae,
    k,
    tokens: t.tokens,
    nmse,
    explainedVariance: 1 - nmse,
    l0: t.active / t.tokens,
    deadFrac: 1 - fired / dSae,
    ceClean,
    ceSae,
    ceZeroAblation,
    deltaLmLoss: ceSae - ceClean,
    ceLossScore: (ceZeroAblation - ceSae) / (ceZeroAblation - ceClean),
  };
}

/** What an evaluation ran on, when the caller knows it by workspace ids (the app's saes.evaluate). */
export interface EvalSubject {
  model: string;
  dataset: string;
}

/** The result in snake_case (the CLI's JSON keys) with the definitions of every figure. */
export function evalResultJson(result: EvalResult, subject?: EvalSubject): Record<string, unknown> {
  return {
    ...(subject ? { model: subject.model, dataset: subject.dataset } : {}),
    d_sae: result.dSae,
    k: result.k,
    tokens: result.tokens,
    nmse: result.nmse,
    explained_variance: result.explainedVariance,
    l0: result.l0,
    dead_frac: result.deadFrac,
    ce_clean: result.ceClean,
    ce_sae: result.ceSae,
    ce_zero_ablation: result.ceZeroAblation,
    delta_lm_loss: result.deltaLmLoss,
    ce_loss_score: result.ceLossScore,
    definitions: EVAL_DEFINITIONS,
  };
}

/** Writes `eval.json` into an SAE folder, atomically. */
export function writeEvalJson(saeDir: string, result: EvalResult, subject?: EvalSubject): void {
  writeJsonAtomic(join(saeDir, 'eval.json'), evalResultJson(result, subject));
}
