import { describe, expect, it } from 'vitest';
import { LatentStats } from '../../../src-main/features/latent-stats.js';
import { QuantileSampler } from '../../../src-main/features/quantile-samples.js';
import { randomBatches, windowsOf } from './fixtures.js';

describe('QuantileSampler', () => {
  const batches = randomBatches({ batches: 6, windows: 4, ctx: 16, dSae: 5, p: 0.4, seed: 7 });
  const stats = new LatentStats(5);
  for (const batch of batches) stats.observe(batch);

  function sample(seed: number): QuantileSampler {
    const sampler = new QuantileSampler(stats.max, { intervals: 4, perInterval: 3, seed }, { before: 3, after: 3 }, windowsOf(batches));
    for (const batch of batches) sampler.observe(batch);
    return sampler;
  }

  /** Distinct (window, interval) pairs in which `latent` fires: what the sampler draws from. */
  function windowIntervals(sampler: QuantileSampler, latent: number): Set<string> {
    const pairs = new Set<string>();
    for (const batch of batches) {
      for (let row = 0; row < batch.tokens.length; row++) {
        const v = batch.acts[row * 5 + latent];
        if (v > 0) pairs.add(`${batch.firstWindow + Math.floor(row / batch.ctx)}:${sampler.intervalOf(v, stats.max[latent])}`);
      }
    }
    return pairs;
  }

  it('puts every sample inside its equal-width interval and counts each window once per interval', () => {
    const sampler = sample(3);
    for (let latent = 0; latent < 5; latent++) {
      const groups = sampler.samples(latent);
      expect(groups).toHaveLength(4);
      expect(groups[3].hi).toBeCloseTo(stats.max[latent], 6);
      const pairs = windowIntervals(sampler, latent);
      // The fixture fires several times per window, so counting tokens would give more.
      expect(pairs.size).toBeLessThan(stats.fires[latent]);
      expect(groups.reduce((s, g) => s + g.seen, 0)).toBe(pairs.size);
      for (const group of groups) {
        expect(group.contexts.length).toBe(Math.min(3, group.seen));
        expect(new Set(group.contexts.map((c) => c.window)).size).toBe(group.contexts.length);
        for (const c of group.contexts) {
          expect(c.value).toBeGreaterThan(group.lo - 1e-6);
          expect(c.value).toBeLessThanOrEqual(group.hi + 1e-6);
          expect(c.acts[c.maxIndex]).toBe(c.value);
        }
      }
    }
  });

  it('draws the same samples for the same seed and different ones for another seed', () => {
    const key = (s: QuantileSampler) => s.samples(0).flatMap((g) => g.contexts.map((c) => `${c.window}:${c.position}`)).join(',');
    expect(key(sample(3))).toBe(key(sample(3)));
    expect(key(sample(3))).not.toBe(key(sample(4)));
  });
});
