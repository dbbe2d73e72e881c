// The sparsity-coefficient search that holds ReLU-L1, JumpReLU and Gated to the target L0.
import { describe, expect, it } from 'vitest';
import { calibrateCoefficient } from '../../../../src-main/bench/recovery/calibrate.js';

describe('calibrateCoefficient', () => {
  it('brackets the target by factors of 4 from the default, then lands on it where L0 is a power of the coefficient', async () => {
    const probe = async (c: number) => 40 * c ** -0.5;
    const { coefficient, probes } = await calibrateCoefficient('relu', probe, { target: 8, probes: 8, tolerance: 0.01 });
    expect(probes.slice(0, 4).map((p) => p.coefficient)).toEqual([1, 4, 16, 64]);
    expect(probes).toHaveLength(5);
    expect(coefficient).toBeCloseTo(25, 6);
    expect(probes[4].l0).toBeCloseTo(8, 6);
  });

  it('searches downwards from a coefficient that silences too much, starting at JumpReLU\'s default', async () => {
    const probe = async (c: number) => Math.max(0, 3 - Math.log10(c));
    const { coefficient, probes } = await calibrateCoefficient('jumprelu', probe, { target: 5, probes: 10, tolerance: 0.02 });
    expect(probes[0].coefficient).toBe(1e-3);
    expect(Math.abs((await probe(coefficient)) / 5 - 1)).toBeLessThanOrEqual(0.02);
  });

  it('stops at the probe budget and keeps the probe closest to the target', async () => {
    const probe = async (c: number) => 100 / c;
    const { coefficient, probes } = await calibrateCoefficient('gated', probe, { target: 1, probes: 3, tolerance: 0.01 });
    expect(probes.map((p) => p.coefficient)).toEqual([1, 4, 16]);
    expect(coefficient).toBe(16);
  });

  it('refuses an architecture that takes k', async () => {
    await expect(calibrateCoefficient('topk', async () => 1, { target: 4, probes: 3, tolerance: 0.1 })).rejects.toThrow(/"topk" has no sparsity coefficient/);
  });
});
