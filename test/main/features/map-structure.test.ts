import { describe, expect, it } from 'vitest';
import { fillNormal, seededRandom } from '../../../src-shared/random.js';
import { ActivationProfiles, TokenProjection, DEFAULT_PROFILE } from '../../../src-main/features/activation-profile.js';
import { gaussianDirections, hopkins, medianNearestCosine, nearestCosines, shuffledProfiles } from '../../../src-main/features/map-structure.js';

/** `clusters` centres in [0, 1]², `per` points each at Gaussian offsets of σ `spread`: [clusters × per, 2]. */
function clusteredPoints(clusters: number, per: number, spread: number, random: () => number): Float32Array {
  const xy = new Float32Array(clusters * per * 2);
  const noise = fillNormal(new Float32Array(xy.length), spread, random);
  for (let c = 0; c < clusters; c++) {
    const [cx, cy] = [random(), random()];
    for (let p = 0; p < per; p++) {
      const i = (c * per + p) * 2;
      xy[i] = cx + noise[i];
      xy[i + 1] = cy + noise[i + 1];
    }
  }
  return xy;
}

describe('nearestCosines', () => {
  it('gives each row its largest cosine to another row, whatever the lengths', () => {
    // Rows: e1, 3·(e1 + e2), −e1, 0.5·e2.
    const x = Float32Array.from([1, 0, 3, 3, -1, 0, 0, 0.5]);
    const best = Array.from(nearestCosines(x, 4, 2));
    expect(best[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(best[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(best[2]).toBeCloseTo(0, 6); // −e1 is orthogonal to e2, opposite e1
    expect(best[3]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(medianNearestCosine(x, 4, 2)).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('is near 1 for planted clusters of directions and far lower for random ones of the same count', () => {
    const d = 32;
    const random = seededRandom(1);
    const centres = fillNormal(new Float32Array(10 * d), 1, random);
    const noise = fillNormal(new Float32Array(200 * d), 0.1, random); // per coordinate; a centre has norm ≈ √32
    const clustered = Float32Array.from(noise, (v, i) => centres[Math.floor(i / d / 20) * d + (i % d)] + v);
    const planted = medianNearestCosine(clustered, 200, d);
    const chance = medianNearestCosine(gaussianDirections(200, d, random), 200, d);
    expect(planted).toBeGreaterThan(0.98);
    expect(chance).toBeGreaterThan(0.3);
    expect(chance).toBeLessThan(0.7);
  });

  it('refuses a single row and a length that is not n × d', () => {
    expect(() => nearestCosines(new Float32Array(4), 1, 4)).toThrow('nearest-neighbour cosines need at least 2 rows, got 1');
    expect(() => nearestCosines(new Float32Array(7), 2, 4)).toThrow('expected 2 rows of 4 (8 values), got 7 values');
  });
});

describe('hopkins', () => {
  it('is about 0.5 for uniform points and above 0.9 for tight clusters', () => {
    const random = seededRandom(2);
    const uniform = Float32Array.from({ length: 1000 }, () => random());
    const h = hopkins(uniform, 200, seededRandom(3));
    expect(h).toBeGreaterThan(0.42);
    expect(h).toBeLessThan(0.58);
    expect(hopkins(clusteredPoints(5, 100, 0.002, random), 200, seededRandom(3))).toBeGreaterThan(0.95);
  });

  it('is below 0.5 for a lattice, whose points are evenly spaced', () => {
    const grid = Float32Array.from({ length: 2 * 400 }, (_, i) => (i % 2 === 0 ? Math.floor(i / 2) % 20 : Math.floor(i / 40)));
    expect(hopkins(grid, 200, seededRandom(4))).toBeLessThan(0.4);
  });

  it('repeats with a seed and changes with another', () => {
    const xy = clusteredPoints(3, 50, 0.05, seededRandom(5));
    expect(hopkins(xy, 100, seededRandom(6))).toBe(hopkins(xy, 100, seededRandom(6)));
    expect(hopkins(xy, 100, seededRandom(7))).not.toBe(hopkins(xy, 100, seededRandom(6)));
  });

  it('refuses fewer than 2 points and a bad sample count', () => {
    expect(() => hopkins(new Float32Array(2), 10, seededRandom(0))).toThrow('the Hopkins statistic needs at least 2 points as [n, 2], got 2 values');
    expect(() => hopkins(new Float32Array(8), 0, seededRandom(0))).toThrow('Hopkins samples must be a positive integer, got 0');
  });
});

describe('shuffledProfiles', () => {
  const tokens = 4000;
  const dims = 256;
  const config = { ...DEFAULT_PROFILE, dims };

  it('is far below the real profiles of latents planted to fire together, at the same densities', () => {
    // 12 latents in 4 groups of 3; a group fires together on 5% of the tokens, each member at its own scale.
    const n = 12;
    const random = seededRandom(8);
    const real = new ActivationProfiles(n, new TokenProjection(config, dims), dims);
    const fires = new Float64Array(n);
    const sums = new Float64Array(n);
    const rows = 100;
    for (let first = 0; first < tokens; first += rows) {
      const acts = new Float32Array(rows * n); // [rows, latents]
      for (let r = 0; r < rows; r++) {
        for (let g = 0; g < 4; g++) {
          if (random() >= 0.05) continue;
          for (let m = 0; m < 3; m++) {
            const l = g * 3 + m;
            acts[r * n + l] = (1 + m) * (0.8 + 0.4 * random());
            fires[l]++;
            sums[l] += acts[r * n + l];
          }
        }
      }
      real.observe({ tokens: new Int32Array(rows), ctx: rows, dSae: n, firstWindow: first / rows, acts }, first);
    }
    const firing = Array.from(fires, (f, l) => ({ density: f / tokens, meanAct: sums[l] / f }));
    const planted = medianNearestCosine(real.centred(), n, dims);
    const shuffled = medianNearestCosine(shuffledProfiles(firing, tokens, config, dims, seededRandom(9)), n, dims);
    expect(planted).toBeGreaterThan(0.9);
    // Independent latents at density 0.05 correlate by chance only; 12 of them in 256 dims stay below 0.35.
    expect(shuffled).toBeLessThan(0.35);
  });

  it("keeps each latent's density and mean activation: the centred profiles' norms are those of the planted spreads", () => {
    const firing = [
      { density: 0, meanAct: 0 },
      { density: 1, meanAct: 2 },
      { density: 0.1, meanAct: 1 },
    ];
    const profiles = shuffledProfiles(firing, tokens, config, dims, seededRandom(10));
    const norm = (l: number) => Math.hypot(...profiles.subarray(l * dims, (l + 1) * dims));
    // A centred profile's squared norm is ≈ tokens × dims × the variance of the latent's activation over the tokens.
    const variance = (density: number, mean: number) => density * mean * mean * (1 + 1 / 12) - (density * mean) ** 2; // values mean × U(0.5, 1.5)
    expect(norm(0)).toBe(0);
    expect(norm(1) / Math.sqrt(tokens * dims * variance(1, 2))).toBeCloseTo(1, 1);
    expect(norm(2) / Math.sqrt(tokens * dims * variance(0.1, 1))).toBeCloseTo(1, 1);
  });

  it('repeats with a seed and changes with another', () => {
    const firing = [
      { density: 0.05, meanAct: 1 },
      { density: 0.2, meanAct: 3 },
    ];
    const a = shuffledProfiles(firing, 1500, config, 64, seededRandom(11));
    expect(Array.from(shuffledProfiles(firing, 1500, config, 64, seededRandom(11)))).toEqual(Array.from(a));
    expect(Array.from(shuffledProfiles(firing, 1500, config, 64, seededRandom(12)))).not.toEqual(Array.from(a));
    expect(Array.from(gaussianDirections(3, 4, seededRandom(1)))).toEqual(Array.from(gaussianDirections(3, 4, seededRandom(1))));
  });

  it('refuses a density outside [0, 1]', () => {
    expect(() => shuffledProfiles([{ density: 1.5, meanAct: 1 }], 10, config, 8, seededRandom(0))).toThrow(
      'latent 0 has density 1.5 and mean activation 1; need a density in [0, 1] and a finite mean',
    );
  });
});
