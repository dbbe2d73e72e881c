// The scaling fit: an exact power law recovered, noise lowering R², fewer than three sizes refused
// with the sizes that do have figures; and the chart draws the fit line between the end sizes.
import { describe, expect, it } from 'vitest';
import { convergenceSvg, fitConvergence, fitPowerLaw, scalingSvg } from '../../../src-main/train/scaling.js';

describe('fitPowerLaw', () => {
  it('recovers the exponent and coefficient of an exact power law', () => {
    const points = [256, 512, 1024, 4096].map((n) => ({ dSae: n, evalFvu: 2 * n ** -0.25 }));
    const { fit } = fitPowerLaw(points);
    expect(fit!.exponent).toBeCloseTo(0.25, 12);
    expect(fit!.coefficient).toBeCloseTo(2, 10);
    expect(fit!.r2).toBeCloseTo(1, 12);
  });

  it('fits least squares in log space through scattered points', () => {
    // In log2: x = 0, 1, 2 against y = 0, −2, −2, whose least-squares slope is −1 with R² 0.75.
    const { fit } = fitPowerLaw([{ dSae: 1, evalFvu: 1 }, { dSae: 2, evalFvu: 0.25 }, { dSae: 4, evalFvu: 0.25 }]);
    expect(fit!.exponent).toBeCloseTo(1, 12);
    expect(fit!.r2).toBeCloseTo(0.75, 12);
  });

  it('needs three sizes with an eval FVU and says which sizes have one', () => {
    expect(fitPowerLaw([{ dSae: 256, evalFvu: 0.04 }, { dSae: 512, evalFvu: 0.03 }])).toEqual({ fit: null, reason: 'a power law needs eval FVU at 3 or more sizes; only 256, 512 have one' });
    expect(fitPowerLaw([])).toEqual({ fit: null, reason: 'a power law needs eval FVU at 3 or more sizes; none has one' });
  });
});

describe('scalingSvg', () => {
  it('draws each size as a marker, the fit as a dashed line, and the exponent in the legend', () => {
    const points = [256, 512, 1024].map((n) => ({ dSae: n, evalFvu: n ** -0.5 }));
    const svg = scalingSvg(points, fitPowerLaw(points).fit, 'sizes');
    expect([...svg.matchAll(/<circle /g)]).toHaveLength(4); // three sizes and the legend's marker
    expect(svg).toMatch(/<path d="M[\d.,]+ L[\d.,]+" fill="none" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"\/>/);
    expect(svg).toContain('FVU ∝ n^−0.500 (R² 1.00)');
    expect(svg).toContain('>1,024</text>');
    expect(() => scalingSvg([], null)).toThrow(/no size has an eval FVU/);
  });
});

describe('fitConvergence', () => {
  it('fits tokens to convergence growing with size over the sizes that converged only', () => {
    const points = [64, 128, 256].map((n) => ({ dSae: n, tokens: 1000 * n ** 0.6, converged: true }));
    // A lower bound (still falling at the end) would flatten the slope: it is left out.
    const { fit } = fitConvergence([...points, { dSae: 512, tokens: 1000, converged: false }]);
    expect(fit!.exponent).toBeCloseTo(0.6, 12);
    expect(fit!.coefficient).toBeCloseTo(1000, 8);
    expect(fitConvergence(points.slice(0, 2))).toEqual({ fit: null, reason: 'a power law needs 3 or more sizes that converged within their run; only 64, 128 have one' });
  });

  it('draws the converged sizes and the fit, and refuses a chart with none', () => {
    const points = [64, 128, 256].map((n) => ({ dSae: n, tokens: 1000 * n ** 0.6, converged: true }));
    const svg = convergenceSvg(points, fitConvergence(points).fit);
    expect(svg).toContain('tokens ∝ n^0.60 (R² 1.00)');
    expect([...svg.matchAll(/<circle /g)]).toHaveLength(4);
    expect(() => convergenceSvg([{ dSae: 8, tokens: 10, converged: false }], null)).toThrow(/no size converged/);
  });
});
