// The bounded training curve: never more points than its bound on any run length, each point the
// exact mean of the steps it covers, and a curve rebuilt from its JSON state continuing exactly as
// the uninterrupted one.
import { describe, expect, it } from 'vitest';
import { HISTORY_POINTS, TrainingCurve } from '../../../src-main/train/history.js';

const sample = (step: number) => ({ fvu: 1 / step, l0: step % 7, deadFraction: (step % 3) / 10 });

function run(curve: TrainingCurve, from: number, to: number): void {
  for (let step = from; step <= to; step++) curve.add(step * 100, sample(step));
}

describe('TrainingCurve', () => {
  it('keeps at most its bound of points on runs of any length, and at least half of it once past the bound', () => {
    for (const steps of [1, 255, 256, 257, 1000, 4096, 10_001]) {
      const curve = new TrainingCurve();
      run(curve, 1, steps);
      const { tokens } = curve.points();
      expect(tokens.length).toBeLessThanOrEqual(HISTORY_POINTS);
      expect(tokens.length).toBeGreaterThanOrEqual(Math.min(steps, HISTORY_POINTS / 2));
      expect(tokens.at(-1)).toBe(steps * 100);
    }
  });

  it('makes each point the mean of the steps it covers, ending at its last step', () => {
    const curve = new TrainingCurve(4);
    run(curve, 1, 10);
    // Bound 4: 1..4 one step each; step 5 halves to spans of 2 ({1,2},{3,4},{5}); step 9 halves again.
    const points = curve.points();
    expect(points.tokens).toEqual([400, 800, 1000]);
    const mean = (a: number, b: number, f: (s: number) => number) => {
      let sum = 0;
      for (let s = a; s <= b; s++) sum += f(s);
      return sum / (b - a + 1);
    };
    expect(points.trainFvu).toEqual([mean(1, 4, (s) => 1 / s), mean(5, 8, (s) => 1 / s), mean(9, 10, (s) => 1 / s)].map((v) => expect.closeTo(v, 12)));
    expect(points.l0).toEqual([mean(1, 4, (s) => s % 7), mean(5, 8, (s) => s % 7), mean(9, 10, (s) => s % 7)].map((v) => expect.closeTo(v, 12)));
    expect(points.deadFrac).toEqual([mean(1, 4, (s) => (s % 3) / 10), mean(5, 8, (s) => (s % 3) / 10), mean(9, 10, (s) => (s % 3) / 10)].map((v) => expect.closeTo(v, 12)));
  });

  it('continues from its JSON state to exactly the curve of an uninterrupted run', () => {
    const straight = new TrainingCurve();
    run(straight, 1, 3001);
    for (const cut of [1, 256, 257, 1777]) {
      const first = new TrainingCurve();
      run(first, 1, cut);
      const resumed = new TrainingCurve(HISTORY_POINTS, JSON.parse(JSON.stringify(first.state())));
      run(resumed, cut + 1, 3001);
      expect(resumed.points()).toEqual(straight.points());
    }
  });

  it('has no dead-fraction series when a step did not measure one (a Matryoshka prefix)', () => {
    const curve = new TrainingCurve();
    curve.add(10, { fvu: 0.5, l0: 4, deadFraction: null });
    curve.add(20, { fvu: 0.4, l0: 4, deadFraction: null });
    expect(curve.points()).toEqual({ tokens: [10, 20], trainFvu: [0.5, 0.4], l0: [4, 4], deadFrac: null });
  });
});
