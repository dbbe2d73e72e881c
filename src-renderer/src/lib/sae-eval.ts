// How an SAE's stored evaluation (SaeEntry.evaluation, from its eval.json) reads in SAE lists.
import type { SaeEvaluation } from '../../../src-shared/api.js';
import { formatCount, formatValue } from './format.js';

export interface EvalCells {
  fvu: string;
  l0: string;
  neverFired: string;
  deltaLm: string;
  ceScore: string;
  /** KL of the next-token distributions; "—" in eval.json files from before it was measured. */
  kl: string;
  /** What it was measured on: "8192 tokens of embedded:sotu on tiny". */
  on: string;
}

/** The table cells of an evaluation; every cell "—" for an SAE never evaluated. */
export function evalCells(evaluation: SaeEvaluation | null): EvalCells {
  if (!evaluation) return { fvu: '—', l0: '—', neverFired: '—', deltaLm: '—', ceScore: '—', kl: '—', on: 'not evaluated' };
  const subject = [evaluation.dataset ? `of ${evaluation.dataset}` : '', evaluation.model ? `on ${evaluation.model}` : ''].filter(Boolean).join(' ');
  return {
    fvu: formatValue(evaluation.evalFvu),
    l0: evaluation.l0.toFixed(1),
    neverFired: `${(100 * evaluation.neverFiredFrac).toFixed(1)}%`,
    deltaLm: formatValue(evaluation.deltaLmLoss),
    ceScore: formatValue(evaluation.ceLossScore),
    kl: evaluation.klDiv === undefined ? '—' : formatValue(evaluation.klDiv),
    on: `${formatCount(evaluation.tokens)} tokens${subject ? ` ${subject}` : ''}`,
  };
}

/** One short line for pickers: "FVU 0.123 · L0 4.0", or "" when never evaluated. */
export function evalLine(evaluation: SaeEvaluation | null): string {
  if (!evaluation) return '';
  const cells = evalCells(evaluation);
  return `FVU ${cells.fvu} · L0 ${cells.l0}`;
}
