// Splitting statistics on a planted family: one latent kept, one split in two, one gone, two new ones;
// and agreement with the family tree's children on a random family.
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend.js';
import { familyTree, type FamilyLevel } from '../../../src-main/features/family-tree.js';
import { splittingStats } from '../../../src-main/features/splitting-stats.js';
import { seededRandom } from '../../../src-shared/random.js';

beforeAll(async () => {
  await initEngine();
});

const D = 8;
const unit = (i: number) => Array.from({ length: D }, (_, j) => (j === i ? 1 : 0));
const mix = (a: number[], b: number[], w: number) => a.map((x, j) => x + w * b[j]!);
const level = (sae: string, rows: number[][]): FamilyLevel => ({ sae, dSae: rows.length, wDec: Float32Array.from(rows.flat()) });

describe('splittingStats', () => {
  it('counts a kept, a split and a vanished latent, and the new ones of the larger size', async () => {
    // Scaled rows: cosines must not depend on the decoder norms.
    const small = level('f/3', [unit(0).map((x) => 3 * x), unit(1), unit(2)]);
    const large = level('f/6', [mix(unit(1), unit(3), 0.3), unit(0), mix(unit(1), unit(3), -0.3), unit(4), unit(5).map((x) => 0.2 * x), mix(unit(2), unit(6), 2)]);
    const stats = await splittingStats([small, large]);
    expect(stats.pairs).toHaveLength(1);
    const [p] = stats.pairs;
    expect(p).toMatchObject({ small: 'f/3', large: 'f/6', kept: 1, split: 1, none: 1, meanSplitChildren: 2, newInLarge: 3 });
    // Closest-parent cosines: 0.958, 1, 0.958, 0, 0, 0.447; the median of six is between 0.447 and 0.958.
    expect(p!.medianParentCosine).toBeCloseTo((1 / Math.sqrt(1.09) + 1 / Math.sqrt(5)) / 2, 5);
    // A lower bar links the weakly related latent (cosine 0.447) to its parent: no latent is gone then.
    expect((await splittingStats([small, large], { minCosine: 0.4 })).pairs[0]).toMatchObject({ kept: 2, split: 1, none: 0, newInLarge: 2 });
  });

  it("agrees with the family tree's children at every size, on a random family of three sizes", async () => {
    const random = seededRandom(3);
    const d = 6;
    const rows = (n: number) => Float32Array.from({ length: n * d }, () => random() - 0.5);
    const levels: FamilyLevel[] = [8, 20, 50].map((n) => ({ sae: `r/${n}`, dSae: n, wDec: rows(n) }));
    const minCosine = 0.6;
    const stats = await splittingStats(levels, { minCosine });
    for (const [i, pair] of stats.pairs.entries()) {
      const counts = Array.from({ length: levels[i]!.dSae }, (_, latent) => familyTree(levels, i, latent, { minCosine, maxChildren: 1000 }).root.children.length);
      expect(pair.kept).toBe(counts.filter((c) => c === 1).length);
      expect(pair.split).toBe(counts.filter((c) => c > 1).length);
      expect(pair.none).toBe(counts.filter((c) => c === 0).length);
      expect(pair.newInLarge).toBe(levels[i + 1]!.dSae - counts.reduce((a, b) => a + b, 0));
    }
  });

  it('refuses one size, shrinking sizes and a bad bar, naming them', async () => {
    const a = level('f/2', [unit(0), unit(1)]);
    const b = level('f/3', [unit(0), unit(1), unit(2)]);
    await expect(splittingStats([a])).rejects.toThrow('at least two sizes, got 1');
    await expect(splittingStats([b, a])).rejects.toThrow('family levels must grow in d_sae: f/3 has 3, then f/2 has 2');
    await expect(splittingStats([a, b], { minCosine: 2 })).rejects.toThrow('minCosine must be in -1..1, got 2');
    await expect(splittingStats([a, { sae: 'f/4', dSae: 4, wDec: new Float32Array(5) }])).rejects.toThrow('f/4: W_dec has 5 values, expected d_sae × d_in = 4 × 8');
  });
});
