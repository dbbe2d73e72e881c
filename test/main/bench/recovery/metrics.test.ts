// The recovery and absorption figures on answers known in advance: the planted dictionary read as
// an SAE, a random dictionary, and a dictionary built to absorb every parent into its children.
import { describe, expect, it } from 'vitest';
import { PlantedDictionary, type PlantedBatch } from '../../../../src-main/data/planted.js';
import { absorptionFigures, matchFeatures, plantedCode, recoveryFigures } from '../../../../src-main/bench/recovery/metrics.js';
import type { HostCode } from '../../../../src-main/sae/sparse/codes.js';
import { fillNormal, seededRandom } from '../../../../src-shared/random.js';

const dict = new PlantedDictionary({ d: 32, features: 96, parents: 6, childrenPerParent: 2, childGivenParent: 0.5, meanActive: 4, noise: 0.01 });
const batch = dict.stream(1).next(4000);

describe('recovery figures', () => {
  it('the planted dictionary recovers every feature, absorbs nothing and never misses a parent', async () => {
    const match = await matchFeatures(dict, dict.directions, dict.features);
    expect(Array.from(match.latent)).toEqual(Array.from({ length: 96 }, (_, f) => f));
    expect(recoveryFigures(dict, match)).toEqual({ recovered: 1, meanMaxCosine: expect.closeTo(1, 5), recoveredIndependent: 1, recoveredChildren: 1 });
    const absorption = absorptionFigures(dict, match, dict.directions, batch, plantedCode(batch));
    expect(absorption).toMatchObject({ pairs: 12, absorptionRate: 0, parentMissRate: 0 });
    expect(absorption.coactiveTokens).toBeGreaterThan(100);
    // Random unit vectors in 32 dimensions: the planted child–parent cosines are small.
    expect(Math.abs(absorption.childLeaning!)).toBeLessThan(0.1);
  });

  it('a random dictionary of the same size recovers nearly nothing', async () => {
    const random = fillNormal(new Float32Array(96 * 32), 1, seededRandom(99));
    const figures = recoveryFigures(dict, await matchFeatures(dict, random, 96));
    expect(figures.recovered).toBeLessThan(0.02);
    expect(figures.meanMaxCosine).toBeLessThan(0.7);
    expect(figures.meanMaxCosine).toBeGreaterThan(0.3);
  });

  it('a dictionary whose children absorbed their parents shows it, on the tokens and in the decoder', async () => {
    // Each child's latent points at child + parent, and fires in place of the parent's latent
    // wherever both features are active: the parent latent has a hole exactly there.
    const { d } = dict;
    const decoder = dict.directions.slice();
    for (const { parent, child } of dict.pairs) {
      const row = decoder.subarray(child * d, (child + 1) * d);
      for (let j = 0; j < d; j++) row[j] += dict.directions[parent * d + j];
    }
    const code = withoutParentsBesideChildren(plantedCode(batch), batch);
    const match = await matchFeatures(dict, decoder, dict.features);
    const figures = recoveryFigures(dict, match);
    expect(figures.recoveredIndependent).toBe(1);
    expect(figures.recoveredChildren).toBe(0);
    const absorption = absorptionFigures(dict, match, decoder, batch, code);
    expect(absorption.absorptionRate).toBe(1);
    expect(absorption.parentMissRate).toBe(0);
    expect(absorption.childLeaning!).toBeGreaterThan(0.6);

    // Half absorbed: only on the tokens of the first half of the pairs' parents.
    const half = new Set(Array.from(dict.childrenOf.keys()).slice(0, 3));
    const partial = withoutParentsBesideChildren(plantedCode(batch), batch, half);
    const rate = absorptionFigures(dict, match, decoder, batch, partial).absorptionRate!;
    expect(rate).toBeGreaterThan(0.2);
    expect(rate).toBeLessThan(0.8);
  });

  it('refuses a code of other tokens and a decoder of another width', async () => {
    const match = await matchFeatures(dict, dict.directions, dict.features);
    expect(() => absorptionFigures(dict, match, dict.directions, batch, plantedCode(dict.stream(2).next(10)))).toThrow(/10 tokens, the planted batch 4000/);
    await expect(matchFeatures(dict, new Float32Array(10 * 31), 10)).rejects.toThrow(/310 values, expected 10 latents × d 32/);
  });
});

/** `code` with each parent's entry zeroed on the tokens where one of its children is active (parents in `only`, or all). */
function withoutParentsBesideChildren(code: HostCode, truth: PlantedBatch, only?: Set<number>): HostCode {
  const values = code.values.slice();
  for (let t = 0; t < truth.tokens; t++) {
    const active = new Set(truth.features.subarray(truth.offsets[t], truth.offsets[t + 1]));
    for (let s = t * code.width; s < (t + 1) * code.width; s++) {
      const latent = code.indices[s];
      const children = dict.childrenOf.get(latent);
      if (values[s] > 0 && children?.some((c) => active.has(c)) && (!only || only.has(latent))) values[s] = 0;
    }
  }
  return { ...code, values };
}
