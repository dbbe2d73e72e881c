import { describe, expect, it } from 'vitest';
import type { JobProgress } from '../../../src-shared/api.js';
import { appendProgress, emptyHistory, orderedMembers } from '../../../src-renderer/src/lib/training-series.js';

function progress(done: number, series: JobProgress['series']): JobProgress {
  return { done, total: 1000, unit: 'tokens', phase: 'training', rate: null, etaSeconds: null, metrics: {}, series };
}

describe('training series', () => {
  it('keeps one column per report and one line per size, with the trainer’s metric names', () => {
    const history = emptyHistory();
    appendProgress(history, progress(100, { '4096': { loss: 2, train_fvu: 0.5, l0: 32, deadFraction: 0.1 }, '1024': { loss: 3, nmse: 0.6, l0: 32, dead_frac: 0.2 } }));
    appendProgress(history, progress(200, { '4096': { loss: 1.5, train_fvu: 0.4, l0: 31, deadFraction: 0.05 }, '1024': { loss: 2.5, nmse: 0.55, l0: 30, dead_frac: 0.1 } }));
    expect(history.x).toEqual([100, 200]);
    expect(orderedMembers(history)).toEqual(['1024', '4096']);
    expect(history.y.loss).toEqual({ '4096': [2, 1.5], '1024': [3, 2.5] });
    expect(history.y.dead).toEqual({ '4096': [0.1, 0.05], '1024': [0.2, 0.1] });
    expect(history.y.l0['1024']).toEqual([32, 30]);
    expect(history.y.nmse['4096']).toEqual([0.5, 0.4]);
  });

  it('replaces a repeated report, pads a size that appears late, and ignores reports without series', () => {
    const history = emptyHistory();
    appendProgress(history, progress(50, { '64': { loss: 9 } }));
    appendProgress(history, progress(50, { '64': { loss: 8 } }));
    appendProgress(history, progress(80, {}));
    appendProgress(history, progress(100, { '64': { loss: 7 }, '256': { loss: 6, nmse: Number.NaN } }));
    expect(history.x).toEqual([50, 100]);
    expect(history.y.loss).toEqual({ '64': [8, 7], '256': [null, 6] });
    expect(history.y.nmse).toEqual({ '64': [null, null], '256': [null, null] });
  });
});
