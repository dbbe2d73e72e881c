import { describe, expect, it } from 'vitest';
import { evalCells, evalLine } from '../../../src-renderer/src/lib/sae-eval.js';

const evaluation = { tokens: 8192, evalFvu: 0.1234, l0: 4, neverFiredFrac: 0.0625, deltaLmLoss: 0.0312, ceLossScore: 0.912, model: 'tiny', dataset: 'embedded:sotu' };

describe('evalCells', () => {
  it('formats every figure of a stored evaluation and what it was measured on', () => {
    expect(evalCells(evaluation)).toEqual({ fvu: '0.123', l0: '4.0', neverFired: '6.3%', deltaLm: '0.0312', ceScore: '0.912', kl: '—', on: '8192 tokens of embedded:sotu on tiny' });
    expect(evalCells({ ...evaluation, klDiv: 0.0274 }).kl).toBe('0.0274');
  });

  it('leaves out the subject an eval.json from training or the CLI does not record, and shows NaN as such', () => {
    expect(evalCells({ ...evaluation, model: null, dataset: null, ceLossScore: Number.NaN }).on).toBe('8192 tokens');
    expect(evalCells({ ...evaluation, ceLossScore: Number.NaN }).ceScore).toBe('NaN');
  });

  it('marks an SAE never evaluated', () => {
    expect(evalCells(null)).toEqual({ fvu: '—', l0: '—', neverFired: '—', deltaLm: '—', ceScore: '—', kl: '—', on: 'not evaluated' });
    expect(evalLine(null)).toBe('');
    expect(evalLine(evaluation)).toBe('FVU 0.123 · L0 4.0');
  });
});
