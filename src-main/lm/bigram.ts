// The interpolated bigram baseline a trained model is compared with: Jelinek–Mercer smoothing,
// P(w | v) = λ·c(v, w)/c(v) + (1 − λ)·P_uni(w), over the training windows' (previous, next) token
// pairs — the same next-token positions the model predicts, BOS → first token included — with the
// add-one unigram of data.ts as P_uni. A context never seen in training falls back to P_uni alone.
//
// λ is chosen by deleted interpolation (Jelinek & Mercer 1980; leave-one-out in the form of Ney,
// Essen & Kneser 1994): each training pair is scored by the model counted without that one
// occurrence, and λ maximises that likelihood. It thus sees only the training windows, never the
// held-out documents, and needs no slice of them held aside. The leave-one-out log-likelihood is
// concave in λ (a sum of logs of functions linear in λ), so bisection on its derivative finds the
// maximum.
import type { WindowSet } from '../data/windows.js';
import type { UnigramCounts } from './data.js';

export interface BigramCounts {
  /** c(v, w) by key v·65536 + w. */
  pairs: Map<number, number>;
  /** c(v): pairs whose previous token is v. */
  contexts: Float64Array;
}

export interface LambdaChoice {
  lambda: number;
  /** The leave-one-out cross-entropy (nats/token) of the training pairs at that λ. */
  leaveOneOutLoss: number;
}

const key = (v: number, w: number): number => v * 65536 + w;

export function countBigrams(train: WindowSet): BigramCounts {
  const pairs = new Map<number, number>();
  const contexts = new Float64Array(65536);
  const { tokens, contextSize } = train;
  for (let w = 0; w < train.count; w++) {
    for (let p = 1; p < contextSize; p++) {
      const prev = tokens[w * contextSize + p - 1];
      const k = key(prev, tokens[w * contextSize + p]);
      pairs.set(k, (pairs.get(k) ?? 0) + 1);
      contexts[prev]++;
    }
  }
  return { pairs, contexts };
}

/** Each distinct training pair once: its count and its leave-one-out bigram and unigram probabilities. */
function leaveOneOutTerms(bigrams: BigramCounts, unigram: UnigramCounts): { count: Float64Array; bi: Float64Array; uni: Float64Array } {
  const n = bigrams.pairs.size;
  const count = new Float64Array(n);
  const bi = new Float64Array(n);
  const uni = new Float64Array(n);
  let i = 0;
  for (const [k, c] of bigrams.pairs) {
    const v = Math.floor(k / 65536);
    const w = k % 65536;
    const rest = bigrams.contexts[v] - 1;
    count[i] = c;
    // A context seen once has no other pair to estimate from: P_uni alone, as for an unseen context.
    bi[i] = rest > 0 ? (c - 1) / rest : NaN;
    // Every pair is one training target, so removing it removes one count of w (add-one keeps it ≥ 1).
    uni[i] = (unigram.counts[w] - 1) / (unigram.total - 1);
    i++;
  }
  return { count, bi, uni };
}

/** λ of deleted interpolation: the maximiser of the leave-one-out likelihood of the training pairs. */
export function chooseLambda(bigrams: BigramCounts, unigram: UnigramCounts): LambdaChoice {
  const { count, bi, uni } = leaveOneOutTerms(bigrams, unigram);
  const mixed = (lambda: number, i: number): number => (Number.isNaN(bi[i]) ? uni[i] : lambda * bi[i] + (1 - lambda) * uni[i]);
  const slope = (lambda: number): number => {
    let sum = 0;
    for (let i = 0; i < count.length; i++) if (!Number.isNaN(bi[i])) sum += (count[i] * (bi[i] - uni[i])) / mixed(lambda, i);
    return sum;
  };
  // λ = 1 is infinitely bad whenever some pair occurs once; the bracket stops just short of it.
  let lo = 0;
  let hi = 1 - 1e-9;
  if (slope(lo) <= 0) hi = lo;
  else if (slope(hi) >= 0) lo = hi;
  for (let iteration = 0; iteration < 60 && hi - lo > 1e-12; iteration++) {
    const mid = (lo + hi) / 2;
    if (slope(mid) > 0) lo = mid;
    else hi = mid;
  }
  const lambda = (lo + hi) / 2;
  let loss = 0;
  let n = 0;
  for (let i = 0; i < count.length; i++) {
    loss -= count[i] * Math.log(mixed(lambda, i));
    n += count[i];
  }
  return { lambda, leaveOneOutLoss: loss / n };
}

/** P(w | v) of the interpolated bigram. */
export function bigramProbability(bigrams: BigramCounts, unigram: UnigramCounts, lambda: number, v: number, w: number): number {
  const pUni = unigram.counts[w] / unigram.total;
  const c = bigrams.contexts[v];
  return c > 0 ? (lambda * (bigrams.pairs.get(key(v, w)) ?? 0)) / c + (1 - lambda) * pUni : pUni;
}

/** Mean −log P(w | v) (nats/token) over every predicted position of the held-out windows. */
export function bigramHeldOutLoss(bigrams: BigramCounts, unigram: UnigramCounts, lambda: number, heldOut: WindowSet): number {
  const { tokens, contextSize } = heldOut;
  let loss = 0;
  for (let w = 0; w < heldOut.count; w++) {
    for (let p = 1; p < contextSize; p++) loss -= Math.log(bigramProbability(bigrams, unigram, lambda, tokens[w * contextSize + p - 1], tokens[w * contextSize + p]));
  }
  return loss / (heldOut.count * (contextSize - 1));
}
