import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { validateSaeConfig } from '../../../src-main/sae/config.js';
import { geometricMedian, initialParams, seededNormal } from '../../../src-main/sae/init.js';

describe('SAE initialisation', () => {
  it('the geometric median ignores an outlier that drags the mean', () => {
    const points = tf.tensor2d([[0, 0], [1, 0], [0, 1], [1, 1], [100, 100]]);
    const median = geometricMedian(points).arraySync() as number[];
    // Four corners of the unit square and one far point: the median stays near the square's centre.
    expect(median[0]).toBeGreaterThan(0.4);
    expect(median[0]).toBeLessThan(1.1);
    expect(median[1]).toBeCloseTo(median[0], 4);
    points.dispose();
  });

  it('ties the encoder to the decoder transpose, with unit decoder rows, seeded', () => {
    const config = validateSaeConfig({ dIn: 6, dSae: 10, k: 2, bPreInit: 'mean' });
    const sample = tf.tensor2d([[1, 2, 3, 4, 5, 6], [3, 2, 1, 0, -1, -2]]);
    const p = initialParams(config, sample);
    for (let j = 0; j < 10; j++) {
      let norm = 0;
      for (let i = 0; i < 6; i++) {
        expect(p.W_enc[i * 10 + j]).toBe(p.W_dec[j * 6 + i]);
        norm += p.W_dec[j * 6 + i] ** 2;
      }
      expect(Math.sqrt(norm)).toBeCloseTo(1, 5);
    }
    expect(Array.from(p.b_dec)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(Array.from(p.b_enc)).toEqual(new Array(10).fill(0));
    expect(initialParams(config).W_dec).toEqual(p.W_dec);
    expect(initialParams({ ...config, seed: 1 }).W_dec).not.toEqual(p.W_dec);
    sample.dispose();
  });

  it('draws standard normal numbers', () => {
    const draws = seededNormal(20000, 3);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(variance).toBeCloseTo(1, 1);
  });
});
