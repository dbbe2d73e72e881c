import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { applyNormalization, disposeNormalized, fitNormalization, undoNormalization } from '../../../src-main/sae/normalize.js';

const x = () => tf.tensor2d([[1, 2, 3, 6], [-2, 0, 4, 2], [10, 10, 10, 14]]);

describe('input normalisation', () => {
  it('layer_norm centres each token and scales it to unit (unbiased) std, and undoes exactly', () => {
    const input = x();
    const batch = applyNormalization(fitNormalization('layer_norm'), input);
    const rows = batch.x.arraySync();
    for (const row of rows) {
      const mean = row.reduce((a, b) => a + b, 0) / 4;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 3;
      expect(mean).toBeCloseTo(0, 5);
      expect(Math.sqrt(variance)).toBeCloseTo(1, 4);
    }
    const back = undoNormalization(batch.x, batch);
    // x̂·σ + μ with x̂ = (x − μ)/(σ + ε): equal up to the ε in the denominator.
    expect(back.arraySync().flat().map((v, i) => v - input.arraySync().flat()[i]).every((d) => Math.abs(d) < 1e-4)).toBe(true);
    disposeNormalized(batch);
    tf.dispose([input, back]);
  });

  it('expected_average_only_in scales so the sample mean norm is √d', () => {
    const input = x();
    const fit = fitNormalization('expected_average_only_in', input);
    const batch = applyNormalization(fit, input);
    const meanNorm = batch.x.norm('euclidean', 1).mean().dataSync()[0];
    expect(meanNorm).toBeCloseTo(2, 4);
    const norms = input.norm('euclidean', 1).arraySync() as number[];
    expect(fit.scalingFactor).toBeCloseTo(2 / (norms.reduce((a, b) => a + b, 0) / 3), 5);
    const back = undoNormalization(batch.x, batch);
    expect(back.sub(input).abs().max().dataSync()[0]).toBeLessThan(1e-5);
    disposeNormalized(batch);
    tf.dispose([input, back]);
    expect(() => fitNormalization('expected_average_only_in')).toThrow(/needs a non-empty sample/);
  });

  it('constant_norm_rescale gives every token norm √d; none is the identity', () => {
    const input = x();
    const batch = applyNormalization(fitNormalization('constant_norm_rescale'), input);
    for (const norm of batch.x.norm('euclidean', 1).arraySync() as number[]) expect(norm).toBeCloseTo(2, 4);
    const back = undoNormalization(batch.x, batch);
    expect(back.sub(input).abs().max().dataSync()[0]).toBeLessThan(1e-5);
    const none = applyNormalization({ kind: 'none' }, input);
    expect(none.x.arraySync()).toEqual(input.arraySync());
    disposeNormalized(batch);
    disposeNormalized(none);
    tf.dispose([input, back]);
  });
});
