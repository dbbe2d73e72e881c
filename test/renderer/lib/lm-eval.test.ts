import { describe, expect, it } from 'vitest';
import { lmEvalCells } from '../../../src-renderer/src/lib/lm-eval.js';

const evaluation = { positions: 16384, modelLoss: 4.6123, bigramLoss: 4.9297, unigramLoss: 6.7391, trainTokens: 1_975_680, holdoutEvery: 20, ctx: 128, dataset: 'embedded:sotu' };

describe('lmEvalCells', () => {
  it('formats the losses in nats, the signed gap to the bigram and what they were measured on', () => {
    expect(lmEvalCells(evaluation)).toEqual({
      model: '4.612',
      bigram: '4.930',
      unigram: '6.739',
      gap: '−0.317',
      positions: '16.4k',
      on: 'embedded:sotu',
      split: 'every 20th document of embedded:sotu held out, windows of 128; baselines from 1.98M training tokens',
    });
    expect(lmEvalCells({ ...evaluation, modelLoss: 5.1 }).gap).toBe('+0.170');
  });

  it('marks a model never evaluated, and a record that does not name its dataset', () => {
    expect(lmEvalCells(null)).toEqual({ model: '—', bigram: '—', unigram: '—', gap: '—', positions: '—', on: 'not evaluated', split: '' });
    expect(lmEvalCells({ ...evaluation, dataset: null })).toMatchObject({ on: '?', split: 'every 20th document held out, windows of 128; baselines from 1.98M training tokens' });
  });
});
