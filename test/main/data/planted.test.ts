// The planted-dictionary generator behind `bench recovery`: unit directions, children only with
// their parent, firing rates as configured, and the same tokens from the same seeds.
import { describe, expect, it } from 'vitest';
import { PlantedDictionary, validatePlantedConfig } from '../../../src-main/data/planted.js';

const config = { d: 24, features: 60, parents: 4, childrenPerParent: 3, childGivenParent: 0.6, meanActive: 5, frequencyExponent: 0.7, noise: 0 };

describe('PlantedDictionary', () => {
  it('plants unit-norm directions and a hierarchy of parents with their children', () => {
    const dict = new PlantedDictionary(config);
    for (let f = 0; f < dict.features; f++) expect(Math.hypot(...dict.directions.subarray(f * 24, (f + 1) * 24))).toBeCloseTo(1, 5);
    expect(dict.pairs).toHaveLength(12);
    expect(new Set(dict.pairs.map((p) => p.child)).size).toBe(12);
    for (const { parent, child } of dict.pairs) {
      expect(dict.parentOf[child]).toBe(parent);
      expect(dict.parentOf[parent]).toBe(-1);
    }
    // Parents are the most frequent independent features, and a child's rate is its share of its parent's.
    const independent = Array.from({ length: 60 }, (_, f) => f).filter((f) => dict.parentOf[f] < 0);
    const byRate = [...independent].sort((a, b) => dict.probabilities[b] - dict.probabilities[a]);
    expect(new Set(byRate.slice(0, 4))).toEqual(new Set(dict.childrenOf.keys()));
    // Power law: the r-th most frequent independent feature fires (1/r)^α as often as the first.
    expect(dict.probabilities[byRate[9]] / dict.probabilities[byRate[0]]).toBeCloseTo(10 ** -0.7, 6);
    for (const { parent, child } of dict.pairs) expect(dict.probabilities[child]).toBeCloseTo((dict.probabilities[parent] * 0.6) / 3, 12);
    expect(dict.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(5, 9);
  });

  it('draws tokens whose features fire at the configured rates, children only with their parent and one at a time', () => {
    const dict = new PlantedDictionary(config);
    const stream = dict.stream(7);
    const counts = new Float64Array(dict.features);
    let tokens = 0;
    let withParent = 0;
    let withChild = 0;
    const violations: string[] = [];
    let largestSumError = 0;
    for (let b = 0; b < 20; b++) {
      const batch = stream.next(10_000);
      for (let t = 0; t < batch.tokens; t++) {
        const active = Array.from(batch.features.subarray(batch.offsets[t], batch.offsets[t + 1]));
        if (new Set(active).size !== active.length) violations.push(`token ${tokens + t}: a feature twice`);
        for (const f of active) counts[f]++;
        for (const [parent, children] of dict.childrenOf) {
          const kids = children.filter((c) => active.includes(c));
          if (kids.length > 1) violations.push(`token ${tokens + t}: children ${kids} of ${parent} together`);
          if (kids.length === 1 && !active.includes(parent)) violations.push(`token ${tokens + t}: child ${kids[0]} without parent ${parent}`);
          if (active.includes(parent)) withParent++;
          if (kids.length === 1) withChild++;
        }
        if (b > 0) continue;
        // The activation is exactly the sum of its features (noise 0 here), at magnitudes in [0.5, 1.5].
        for (let j = 0; j < 24; j++) {
          let sum = 0;
          for (let e = batch.offsets[t]; e < batch.offsets[t + 1]; e++) sum += batch.magnitudes[e] * dict.directions[batch.features[e] * 24 + j];
          largestSumError = Math.max(largestSumError, Math.abs(batch.x[t * 24 + j] - sum));
        }
        for (let e = batch.offsets[t]; e < batch.offsets[t + 1]; e++) if (!(batch.magnitudes[e] >= 0.5 && batch.magnitudes[e] <= 1.5)) violations.push(`magnitude ${batch.magnitudes[e]}`);
      }
      tokens += batch.tokens;
    }
    expect(violations).toEqual([]);
    expect(largestSumError).toBeLessThan(1e-5);
    // 200,000 tokens: a rate p is measured to within a few √(p/N); 6 of them bounds every feature.
    for (let f = 0; f < dict.features; f++) {
      const p = dict.probabilities[f];
      expect(Math.abs(counts[f] / tokens - p)).toBeLessThan(6 * Math.sqrt(p / tokens));
    }
    expect(counts.reduce((a, b) => a + b, 0) / tokens).toBeCloseTo(5, 1);
    expect(withChild / withParent).toBeCloseTo(0.6, 1);
  });

  it('repeats the same directions and tokens from the same seeds, and not from others', () => {
    const a = new PlantedDictionary({ ...config, noise: 0.01 });
    const b = new PlantedDictionary({ ...config, noise: 0.01 });
    expect(b.directions).toEqual(a.directions);
    expect(b.pairs).toEqual(a.pairs);
    const first = new PlantedDictionary(config).stream(3).next(2000);
    const again = new PlantedDictionary(config).stream(3).next(2000);
    expect(again).toEqual(first);
    expect(new PlantedDictionary(config).stream(4).next(2000).x).not.toEqual(first.x);
    expect(new PlantedDictionary({ ...config, seed: 1 }).directions).not.toEqual(a.directions);
  });

  it('refuses a configuration it cannot honour, naming the field', () => {
    expect(() => validatePlantedConfig({ features: 10, parents: 3, childrenPerParent: 3 })).toThrow(/"parents" = 3 .*at most 2/);
    expect(() => validatePlantedConfig({ childGivenParent: 1.5 })).toThrow(/"childGivenParent" = 1.5 .*probability/);
    expect(() => validatePlantedConfig({ magnitudeMin: 2, magnitudeMax: 1 })).toThrow(/"magnitudeMax" = 1/);
    expect(() => validatePlantedConfig({ dims: 3 } as never)).toThrow(/unknown key "dims"/);
    expect(() => new PlantedDictionary({ features: 4, parents: 0, meanActive: 6 })).toThrow(/"meanActive" = 6 .*probability/);
    expect(() => new PlantedDictionary(config).stream(-1)).toThrow(/seed -1/);
  });
});
