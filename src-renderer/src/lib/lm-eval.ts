// How a model's stored evaluation (ModelEntry.evaluation, from its lm_eval.json) reads in the models table.
import type { LmEvaluation } from '../../../src-shared/api.js';
import { formatCount } from './format.js';

export interface LmEvalCells {
  model: string;
  bigram: string;
  unigram: string;
  /** Model minus bigram, signed: negative means the model beats the bigram. */
  gap: string;
  positions: string;
  /** The dataset it was measured on ("embedded:sotu"), and the split and windows in full for a tooltip. */
  on: string;
  split: string;
}

const nats = (x: number): string => x.toFixed(3);

/** The table cells of an evaluation; every cell "—" for a model never evaluated. */
export function lmEvalCells(evaluation: LmEvaluation | null): LmEvalCells {
  if (!evaluation) return { model: '—', bigram: '—', unigram: '—', gap: '—', positions: '—', on: 'not evaluated', split: '' };
  const gap = evaluation.modelLoss - evaluation.bigramLoss;
  return {
    model: nats(evaluation.modelLoss),
    bigram: nats(evaluation.bigramLoss),
    unigram: nats(evaluation.unigramLoss),
    gap: `${gap >= 0 ? '+' : '−'}${nats(Math.abs(gap))}`,
    positions: formatCount(evaluation.positions),
    on: evaluation.dataset ?? '?',
    split: `every ${evaluation.holdoutEvery}th document${evaluation.dataset ? ` of ${evaluation.dataset}` : ''} held out, windows of ${evaluation.ctx}; baselines from ${formatCount(evaluation.trainTokens)} training tokens`,
  };
}
