// The data of a pretraining run: the corpus split by document (every holdoutEvery-th document is
// held out, so no held-out text ever shares a window with training text), each side cut into
// windows of ctx + 1 tokens (BOS + ctx text tokens: ctx inputs and their ctx next-token targets),
// the order of training windows, and the unigram baseline the held-out loss is compared with.
import { openCorpus } from '../data/corpora/index.js';
import { Rng } from '../data/rng.js';
import { buildWindows, type WindowSet, type WindowTokenizer } from '../data/windows.js';
import type { LmTrainConfig } from './config.js';

export interface LmData {
  train: WindowSet;
  heldOut: WindowSet;
}

async function* everyNth(documents: AsyncIterable<string>, every: number, heldOut: boolean): AsyncGenerator<string> {
  let i = 0;
  for await (const doc of documents) {
    if ((i % every === every - 1) === heldOut) yield doc;
    i++;
  }
}

/** What fixes a run's split and windows; `lm eval` rebuilds them from the same fields. */
export type LmDataConfig = Pick<LmTrainConfig, 'dataset' | 'textField' | 'holdoutEvery' | 'ctx' | 'evalTokens'>;

/** The documents `lm train` trains on: all but every `holdoutEvery`-th, which are held out. */
export function trainingDocuments(config: Pick<LmTrainConfig, 'dataset' | 'textField' | 'holdoutEvery'>): AsyncGenerator<string> {
  return everyNth(openCorpus(config.dataset, { textField: config.textField }), config.holdoutEvery, false);
}

/** Reads the training windows (only as many as the run uses) and the held-out windows (evalTokens' worth; Infinity reads all). */
export async function readLmData(config: LmDataConfig, tokenizer: WindowTokenizer, trainWindowsNeeded: number, signal?: AbortSignal): Promise<LmData> {
  const contextSize = config.ctx + 1;
  const open = () => openCorpus(config.dataset, { textField: config.textField });
  const train = await buildWindows(trainingDocuments(config), tokenizer, { contextSize, maxWindows: trainWindowsNeeded, signal });
  const heldOut = await buildWindows(everyNth(open(), config.holdoutEvery, true), tokenizer, { contextSize, maxWindows: Math.ceil(config.evalTokens / config.ctx), signal });
  if (train.count === 0) throw new Error(`corpus ${config.dataset}: its training documents do not fill one window of ${contextSize} tokens; use a longer corpus or a smaller --ctx`);
  if (heldOut.count === 0) {
    throw new Error(`corpus ${config.dataset}: its held-out documents (every ${config.holdoutEvery}th) do not fill one window of ${contextSize} tokens; lower --holdout-every or --ctx, or use a longer corpus`);
  }
  return { train, heldOut };
}

/**
 * The training windows of step `step` (0-based): the run walks through epochs, each a permutation of
 * all training windows drawn from (seed, epoch) alone, so any step's batch is known without replaying
 * the run, and resuming needs nothing but the step number.
 */
export class WindowOrder {
  private epoch = -1;
  private order = new Uint32Array(0);

  constructor(
    private readonly count: number,
    private readonly seed: number,
  ) {}

  batch(step: number, size: number): Uint32Array {
    const out = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      const position = step * size + i;
      const epoch = Math.floor(position / this.count);
      if (epoch !== this.epoch) this.shuffle(epoch);
      out[i] = this.order[position % this.count];
    }
    return out;
  }

  private shuffle(epoch: number): void {
    this.order = new Uint32Array(this.count).map((_, i) => i);
    Rng.fromSeed(this.seed * 1_000_003 + epoch).shuffle(this.order);
    this.epoch = epoch;
  }
}

/** Distinct token ids of both splits, ascending, with `always` (BOS/EOT) included. */
export function corpusTokenIds(data: LmData, always: number): Int32Array {
  const seen = new Uint8Array(65536);
  seen[always] = 1;
  for (const set of [data.train, data.heldOut]) for (const id of set.tokens) seen[id] = 1;
  const ids: number[] = [];
  seen.forEach((flag, id) => flag && ids.push(id));
  return Int32Array.from(ids);
}

/** Add-one smoothed counts of the training windows' targets: P(w) = counts[w] / total. */
export interface UnigramCounts {
  counts: Float64Array;
  total: number;
}

/**
 * The unigram model of the training windows' targets, add-one smoothed over the corpus's tokens
 * (`ids`, so held-out tokens unseen in training stay finite).
 */
export function unigramCounts(train: WindowSet, ids: Int32Array): UnigramCounts {
  const counts = new Float64Array(65536);
  for (const id of ids) counts[id] = 1;
  let total = ids.length;
  for (let w = 0; w < train.count; w++) {
    for (let p = 1; p < train.contextSize; p++) {
      counts[train.tokens[w * train.contextSize + p]]++;
      total++;
    }
  }
  return { counts, total };
}

/** Held-out cross-entropy (nats/token) of the unigram model: what a model that ignores context reaches. */
export function unigramHeldOutLoss(data: LmData, ids: Int32Array): number {
  const { counts, total } = unigramCounts(data.train, ids);
  const { heldOut } = data;
  let loss = 0;
  let n = 0;
  for (let w = 0; w < heldOut.count; w++) {
    for (let p = 1; p < heldOut.contextSize; p++) {
      loss -= Math.log(counts[heldOut.tokens[w * heldOut.contextSize + p]] / total);
      n++;
    }
  }
  return loss / n;
}
