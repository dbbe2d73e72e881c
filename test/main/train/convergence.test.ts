// The tokens-to-convergence rule on constructed curves: a plateau found where it starts, noise that
// the smoothing absorbs, a curve still falling at the end reported as a lower bound, and too short a
// history as no figure.
import { describe, expect, it } from 'vitest';
import { smoothed, tokensToConvergence } from '../../../src-main/train/convergence.js';

const tokens = (n: number) => Array.from({ length: n }, (_, i) => (i + 1) * 1000);

describe('tokensToConvergence', () => {
  it('finds where an exponential decay comes within 5% of its plateau', () => {
    // fvu = 0.03 + 0.5·e^(−i/20): within 5% of 0.03 once 0.5·e^(−i/20) ≤ 0.0015, i ≥ 20·ln(333.3) ≈ 116.2.
    const fvu = tokens(400).map((_, i) => 0.03 + 0.5 * Math.exp(-i / 20));
    const result = tokensToConvergence(tokens(400), fvu)!;
    expect(result.converged).toBe(true);
    // The trailing mean over 20 points lags the curve by about 10 points.
    expect(result.tokens).toBeGreaterThan(117_000);
    expect(result.tokens).toBeLessThan(140_000);
  });

  it('is not fooled by batch noise larger than the tolerance once smoothed', () => {
    // ±10% alternating noise on a flat curve after a drop at point 50: each raw point strays past 5%.
    const fvu = tokens(200).map((_, i) => (i < 50 ? 0.2 : 0.03 * (i % 2 === 0 ? 1.1 : 0.9)));
    const result = tokensToConvergence(tokens(200), fvu)!;
    // The first point whose 10-point window (5% of 200) holds only plateau points: i = 59.
    expect(result).toEqual({ tokens: 60_000, converged: true });
  });

  it('reports a curve still falling in the last fifth of the run as not converged', () => {
    const fvu = tokens(100).map((_, i) => 1 / (i + 1));
    const result = tokensToConvergence(tokens(100), fvu)!;
    expect(result.converged).toBe(false);
    expect(result.tokens).toBeGreaterThan(80_000);
  });

  it('gives no figure with fewer than five points, and refuses mismatched arrays', () => {
    expect(tokensToConvergence(tokens(4), [4, 3, 2, 1])).toBeNull();
    expect(() => tokensToConvergence(tokens(5), [1, 2])).toThrow(/5 token counts but 2 FVU values/);
  });

  it('smooths with a trailing mean over the window', () => {
    expect(smoothed([1, 2, 3, 4, 5], 2)).toEqual([1, 1.5, 2.5, 3.5, 4.5]);
  });
});
