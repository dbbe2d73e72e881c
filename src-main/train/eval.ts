// Held-out evaluation of one SAE on a GPT-2: reconstruction quality at the hook and what splicing the
// reconstruction into the forward pass costs the language model. Definitions (also written into
// eval.json so a reader never has to guess):
// - eval_fvu: Σ‖x − x̂‖² ÷ Σ‖x − mean(x)‖² over all eval tokens in the raw activation space (x̂
//   mapped back through the normalisation), mean(x) over those tokens (fraction of variance
//   unexplained, OpenAI train.py); explained_variance = 1 − eval_fvu. Training reports its own
//   train_fvu, on normalised inputs; the two are not the same figure.
// - l0: mean number of non-zero latents per token. never_fired_frac: latents that never fired on
//   the eval tokens (not the paper's dead fraction, which is over the last 10M training tokens).
// - ce_clean / ce_sae: next-token cross-entropy (nats, mean over predicted positions) with the hook
//   activation untouched / replaced by x̂ (BOS left untouched: the SAE never saw it in training).
// - ce_zero_ablation: the hook activation zeroed at every position, BOS included (SAELens);
//   ce_loss_score = (ce_zero_ablation − ce_sae) ÷ (ce_zero_ablation − ce_clean), SAELens's and
//   Neuronpedia's convention. ce_zero_ablation_keep_bos / ce_loss_score_keep_bos zero every
//   position but BOS, this app's earlier convention.
// - delta_lm_loss = ce_sae − ce_clean; kl_div: KL(clean ‖ spliced) of the next-token distributions,
//   nats, mean over predicted positions.
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import type { Gpt2 } from '../model/gpt2.js';
import { createSaeRunner } from '../sae/inference.js';
import { evalBatch, type BatchEval, type SpliceEvalRunner } from '../sae/splice-eval.js';
import { prefetched } from '../data/activations.js';
import type { SaeBundle } from '../sae/types.js';
import type { HookName } from '../../src-shared/hooks.js';
import { openCorpus } from '../data/corpora/index.js';
import { buildWindows, splitWindows, windowAt, type WindowSet, type WindowTokenizer } from '../data/windows.js';
import { loadTokenizer } from '../tokenizer/load.js';

export interface EvalOptions {
  model: Pick<Gpt2, 'config' | 'lossPerToken' | 'run'>;
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
  /** Worker threads that evaluate batches (model/pool.ts); this thread when absent. */
  pool?: SpliceEvalRunner;
  signal?: AbortSignal;
}

export interface EvalResult {
  dSae: number;
  k: number | null;
  /** Activation tokens evaluated (BOS positions excluded). */
  tokens: number;
  evalFvu: number;
  explainedVariance: number;
  l0: number;
  neverFiredFrac: number;
  ceClean: number;
  ceSae: number;
  ceZeroAblation: number;
  ceZeroAblationKeepBos: number;
  deltaLmLoss: number;
  ceLossScore: number;
  ceLossScoreKeepBos: number;
  klDiv: number;
}

export const EVAL_DEFINITIONS = {
  eval_fvu: 'sum ||x - x_hat||^2 / sum ||x - mean(x)||^2 over all held-out eval tokens, in the raw activation space (fraction of variance unexplained)',
  explained_variance: '1 - eval_fvu',
  l0: 'mean number of non-zero latents per token',
  never_fired_frac: 'fraction of latents that never fired on the eval tokens (the training dead fraction is over the last 10M training tokens)',
  ce: 'next-token cross-entropy in nats, mean over predicted positions; ce_sae leaves the BOS position unreplaced',
  ce_zero_ablation: 'ce with the hook activation zeroed at every position, BOS included (SAELens)',
  ce_zero_ablation_keep_bos: 'ce with the hook activation zeroed at every position but BOS',
  delta_lm_loss: 'ce_sae - ce_clean',
  ce_loss_score: '(ce_zero_ablation - ce_sae) / (ce_zero_ablation - ce_clean), SAELens and Neuronpedia convention',
  ce_loss_score_keep_bos: '(ce_zero_ablation_keep_bos - ce_sae) / (ce_zero_ablation_keep_bos - ce_clean)',
  kl_div: 'KL(clean || with SAE) of the next-token distributions, nats, mean over predicted positions',
};

/** The windows to evaluate on: the given ones, or `needed` × holdoutEvery windows of `dataset` and their held-out split. */
export async function heldOutWindows(options: Pick<EvalOptions, 'windows' | 'indices' | 'dataset' | 'textField' | 'tokenizer' | 'holdoutEvery' | 'signal'>, contextSize: number, needed: number): Promise<{ windows: WindowSet; indices: ArrayLike<number> }> {
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
  ce = { clean: 0, sae: 0, abl: 0, ablKeepBos: 0, kl: 0, positions: 0 };
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
  const totals = saes.map((b) => new Totals(b.spec.dIn, b.spec.dSae));
  function* batches(): Generator<{ ids: Int32Array; n: number }> {
    for (let start = 0; start < nWindows; start += options.batch) {
      const n = Math.min(options.batch, nWindows - start);
      const ids = new Int32Array(n * ctx);
      for (let i = 0; i < n; i++) ids.set(windowAt(windows, indices[start + i]), i * ctx);
      yield { ids, n };
    }
  }
  const { pool } = options;
  // On the pool, each worker evaluates whole batches (up to one each at a time); their sums are added
  // here in batch order, so the figures are the in-thread ones exactly.
  const runners = pool ? [] : saes.map((b) => createSaeRunner(b));
  const compute = pool ? ({ ids, n }: { ids: Int32Array; n: number }) => pool.evalBatch(ids, n, ctx) : ({ ids, n }: { ids: Int32Array; n: number }) => evalBatch(model, runners, hook, ids, n, ctx, spec.dIn);
  try {
    if (pool) await pool.loadSaes(saes);
    for await (const batch of prefetched(compute, batches(), pool?.parallelism ?? 0)) {
      await new Promise((resolve) => setImmediate(resolve)); // lets a cancel (signal) arrive between batches
      options.signal?.throwIfAborted();
      batch.forEach((b, s) => addBatch(totals[s], b));
    }
  } finally {
    for (const r of runners) r.dispose();
    await pool?.releaseSaes();
  }
  return totals.map((t, i) => summarise(t, saes[i].spec.dSae, saes[i].spec.k ?? null));
}

/** Adds one batch's sums, in the order the evaluation has always added them. */
function addBatch(t: Totals, b: BatchEval): void {
  t.tokens += b.tokens;
  t.sqErr += b.sqErr;
  t.sqNorm += b.sqNorm;
  for (let i = 0; i < b.sum.length; i++) t.sum[i] += b.sum[i];
  t.active += b.active;
  for (let i = 0; i < b.fired.length; i++) if (b.fired[i]) t.fired[i] = 1;
  t.ce.clean += b.ceClean;
  t.ce.sae += b.ceSae;
  t.ce.abl += b.ceAbl;
  t.ce.ablKeepBos += b.ceAblKeepBos;
  t.ce.kl += b.kl;
  t.ce.positions += b.tokens;
}

function summarise(t: Totals, dSae: number, k: number | null): EvalResult {
  let meanSq = 0;
  for (const s of t.sum) meanSq += (s / t.tokens) ** 2;
  const variance = t.sqNorm - t.tokens * meanSq;
  const evalFvu = t.sqErr / variance;
  const ceClean = t.ce.clean / t.ce.positions;
  const ceSae = t.ce.sae / t.ce.positions;
  const ceZeroAblation = t.ce.abl / t.ce.positions;
  const ceZeroAblationKeepBos = t.ce.ablKeepBos / t.ce.positions;
  let fired = 0;
  for (const f of t.fired) fired += f;
  return {
    dSae,
    k,
    tokens: t.tokens,
    evalFvu,
    explainedVariance: 1 - evalFvu,
    l0: t.active / t.tokens,
    neverFiredFrac: 1 - fired / dSae,
    ceClean,
    ceSae,
    ceZeroAblation,
    ceZeroAblationKeepBos,
    deltaLmLoss: ceSae - ceClean,
    ceLossScore: (ceZeroAblation - ceSae) / (ceZeroAblation - ceClean),
    ceLossScoreKeepBos: (ceZeroAblationKeepBos - ceSae) / (ceZeroAblationKeepBos - ceClean),
    klDiv: t.ce.kl / t.ce.positions,
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
    eval_fvu: result.evalFvu,
    explained_variance: result.explainedVariance,
    l0: result.l0,
    never_fired_frac: result.neverFiredFrac,
    ce_clean: result.ceClean,
    ce_sae: result.ceSae,
    ce_zero_ablation: result.ceZeroAblation,
    ce_zero_ablation_keep_bos: result.ceZeroAblationKeepBos,
    delta_lm_loss: result.deltaLmLoss,
    ce_loss_score: result.ceLossScore,
    ce_loss_score_keep_bos: result.ceLossScoreKeepBos,
    kl_div: result.klDiv,
    definitions: EVAL_DEFINITIONS,
  };
}

/** Writes `eval.json` into an SAE folder, atomically. */
export function writeEvalJson(saeDir: string, result: EvalResult, subject?: EvalSubject): void {
  writeJsonAtomic(join(saeDir, 'eval.json'), evalResultJson(result, subject));
}
