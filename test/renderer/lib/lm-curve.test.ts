import { describe, expect, it } from 'vitest';
import { lossCurveChart } from '../../../src-renderer/src/lib/lm-curve.js';

describe('lossCurveChart', () => {
  it('puts held-out and training loss on one token axis, with the baselines as dashed lines', () => {
    const chart = lossCurveChart({
      model: 'm',
      heldOut: [{ step: 2, tokens: 200, loss: 7 }, { step: 4, tokens: 400, loss: 6 }],
      train: [{ step: 1, tokens: 100, loss: 9 }, { step: 2, tokens: 200, loss: 7.5 }],
      unigramLoss: 6.5,
      bigramLoss: 5.25,
    });
    expect(chart.x).toEqual([100, 200, 400]);
    expect(chart.lines).toEqual([
      { label: 'held-out', values: [null, 7, 6] },
      { label: 'training', values: [9, 7.5, null] },
      { label: 'unigram 6.500', values: [6.5, 6.5, 6.5], style: 'dashed' },
      { label: 'bigram 5.250', values: [5.25, 5.25, 5.25], style: 'dashed' },
    ]);
  });

  it('draws neither a training line for an old record nor a bigram before an evaluation', () => {
    const chart = lossCurveChart({ model: 'm', heldOut: [{ step: 1, tokens: 10, loss: 8 }], train: [], unigramLoss: 7, bigramLoss: null });
    expect(chart.lines.map((l) => l.label)).toEqual(['held-out', 'unigram 7.000']);
  });
});
