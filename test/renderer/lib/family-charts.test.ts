import { describe, expect, it } from 'vitest';
import type { FamilyPageMember } from '../../../src-shared/api.js';
import { convergenceChart, curveChart, powerLaw, scalingChart } from '../../../src-renderer/src/lib/family-charts.js';

function member(label: string, dSae: number, extra: Partial<FamilyPageMember> = {}): FamilyPageMember {
  return { sae: `fam/${label}`, label, dSae, architecture: 'topk', k: 4, model: 'tiny', train: null, evaluation: null, curve: null, convergence: null, harvest: [], sharePresent: null, ...extra };
}

const curve = (tokens: number[], fvu: number[], dead: number[] | null = fvu.map(() => 0)) => ({ tokens, trainFvu: fvu, l0: fvu.map(() => 4), deadFrac: dead });

describe('family charts', () => {
  it('puts every member with a curve on the union of their token counts, with gaps where one has no point', () => {
    const members = [member('8', 8, { curve: curve([100, 200], [0.5, 0.4]) }), member('16', 16), member('32', 32, { curve: curve([100, 300], [0.6, 0.3], null) })];
    expect(curveChart(members, 'trainFvu')).toEqual({ x: [100, 200, 300], lines: [{ label: '8', values: [0.5, 0.4, null] }, { label: '32', values: [0.6, null, 0.3] }] });
    // A Matryoshka prefix has no dead fraction of its own: it has no line on that chart.
    expect(curveChart(members, 'deadFrac')!.lines.map((l) => l.label)).toEqual(['8']);
    expect(curveChart([member('8', 8)], 'l0')).toBeNull();
  });

  it('draws eval FVU as points and the fitted law through the same sizes', () => {
    const fit = { exponent: 0.5, coefficient: 1, r2: 1 };
    const chart = scalingChart({ points: [{ dSae: 4, evalFvu: 0.5 }, { dSae: 16, evalFvu: 0.25 }, { dSae: 64, evalFvu: 0.125 }], fit, reason: null, convergenceFit: null, convergenceReason: 'none' })!;
    expect(chart.x).toEqual([4, 16, 64]);
    expect(chart.lines[0]).toEqual({ label: 'eval FVU', values: [0.5, 0.25, 0.125], style: 'points' });
    expect(chart.lines[1]).toEqual({ label: 'fit n^−0.500', values: [0.5, 0.25, 0.125], style: 'dashed' });
    expect(powerLaw(fit, 100)).toBeCloseTo(0.1, 12);
    expect(scalingChart({ points: [{ dSae: 4, evalFvu: 0.5 }], fit: null, reason: 'too few', convergenceFit: null, convergenceReason: 'none' })!.lines).toHaveLength(1);
    expect(scalingChart({ points: [], fit: null, reason: 'none', convergenceFit: null, convergenceReason: 'none' })).toBeNull();
  });

  it('separates sizes still falling at the end of the run (a lower bound) from converged ones', () => {
    const members = [member('32', 32, { convergence: { tokens: 9000, converged: false } }), member('8', 8, { convergence: { tokens: 2000, converged: true } }), member('16', 16)];
    expect(convergenceChart(members)).toEqual({
      x: [8, 32],
      lines: [
        { label: 'converged', values: [2000, null], style: 'points' },
        { label: 'still falling (lower bound)', values: [null, 9000], style: 'points' },
      ],
    });
    expect(convergenceChart([member('8', 8)])).toBeNull();
  });

  it('draws the fitted growth of tokens to convergence through the sizes', () => {
    const members = [8, 16, 32].map((n) => member(String(n), n, { convergence: { tokens: 100 * n, converged: true } }));
    const chart = convergenceChart(members, { exponent: 1, coefficient: 100, r2: 1 })!;
    expect(chart.lines.at(-1)).toEqual({ label: 'fit n^1.00', values: [800, 1600, 3200], style: 'dashed' });
  });
});
