// Matching two SAEs' latents by decoder cosine: the Hungarian matching is optimal where greedy is
// not (a constructed case), an SAE matches itself and a permuted copy of itself exactly, an unrelated
// random SAE matches nothing at the usual bar, and above HUNGARIAN_MAX latents a side the greedy
// matching takes over. Then the comparison's figures from a hand-made matching.
import { describe, expect, it } from 'vitest';
import { allPairs, greedyMatch, HUNGARIAN_MAX, hungarianMatch, matchLatents, type LatentMatching } from '../../../src-main/features/latent-matching.js';
import { summarise } from '../../../src-main/features/sae-compare.js';
import { fillNormal, seededRandom } from '../../../src-shared/random.js';

const D = 64;

function randomDecoder(n: number, seed: number, d = D): Float32Array {
  return fillNormal(new Float32Array(n * d), 1, seededRandom(seed));
}

/** Row j of the result is row perm[j] of w, scaled by `scale` (decoder norms do not change cosines). */
function permuted(w: Float32Array, perm: number[], d = D, scale = 1): Float32Array {
  const out = new Float32Array(perm.length * d);
  perm.forEach((from, j) => {
    for (let k = 0; k < d; k++) out[j * d + k] = w[from * d + k]! * scale;
  });
  return out;
}

const sum = (x: Float32Array) => x.reduce((s, v) => s + v, 0);

describe('latent matching', () => {
  it('finds the optimal assignment where greedy best-pair-first does not', () => {
    // Greedy takes (0,0) at 0.9 and is left with (1,1) at 0.1: total 1.0. The optimum crosses: 0.8 + 0.8.
    const cos = Float32Array.from([0.9, 0.8, 0.8, 0.1]);
    const greedy = greedyMatch(allPairs(cos, 2, 2), 2, 2);
    const optimal = hungarianMatch(cos, 2, 2);
    expect(Array.from(greedy.a)).toEqual([0, 1]);
    expect(Array.from(greedy.b)).toEqual([0, 1]);
    expect(sum(greedy.cosine)).toBeCloseTo(1.0, 6);
    const byA = Array.from(optimal.a, (a, p) => [a, optimal.b[p]]).sort((x, y) => x[0]! - y[0]!);
    expect(byA).toEqual([[0, 1], [1, 0]]);
    expect(sum(optimal.cosine)).toBeCloseTo(1.6, 6);
  });

  it('matches rectangular sides: every latent of the smaller side gets one partner, none twice', () => {
    // 2 latents of A against 3 of B: A0 is closest to B2, A1 to B0; B1 is left over.
    const cos = Float32Array.from([0.1, 0.2, 0.9, 0.8, 0.3, 0.0]);
    for (const pairs of [hungarianMatch(cos, 2, 3), greedyMatch(allPairs(cos, 2, 3), 2, 3)]) {
      const byA = Array.from(pairs.a, (a, p) => [a, pairs.b[p]]).sort((x, y) => x[0]! - y[0]!);
      expect(byA).toEqual([[0, 2], [1, 0]]);
    }
    const tall = hungarianMatch(Float32Array.from([0.1, 0.8, 0.2, 0.3, 0.9, 0.0]), 3, 2);
    expect(Array.from(tall.a, (a, p) => [a, tall.b[p]]).sort((x, y) => x[0]! - y[0]!)).toEqual([[0, 1], [2, 0]]);
  });

  it('matches an SAE with itself: every latent to itself at cosine 1', async () => {
    const w = randomDecoder(48, 1);
    const m = await matchLatents({ wDec: w, n: 48 }, { wDec: w, n: 48 }, D);
    expect(m.method).toBe('hungarian');
    expect(m.a.length).toBe(48);
    for (let p = 0; p < 48; p++) {
      expect(m.b[p]).toBe(m.a[p]);
      expect(m.cosine[p]).toBeCloseTo(1, 5);
    }
    const f = summarise(m, new Float32Array(48).fill(1), 0.7);
    expect(f.shareMatchedA).toBe(1);
    expect(f.shareMatchedB).toBe(1);
    expect(f.unmatchedA).toEqual([]);
  });

  it('recovers the permutation of a permuted, rescaled copy, by either method', async () => {
    const n = 40;
    const w = randomDecoder(n, 2);
    const perm = Array.from({ length: n }, (_, i) => i).sort((x, y) => Math.sin(x * 3.7) - Math.sin(y * 3.7));
    const copy = permuted(w, perm, D, 2.5);
    for (const method of ['hungarian', 'greedy'] as const) {
      const m = await matchLatents({ wDec: copy, n }, { wDec: w, n }, D, { method });
      expect(m.method).toBe(method);
      expect(m.a.length).toBe(n);
      // Latent j of the copy is latent perm[j] of the original.
      for (let p = 0; p < n; p++) expect(m.b[p]).toBe(perm[m.a[p]!]);
      for (const c of m.cosine) expect(c).toBeCloseTo(1, 5);
    }
  });

  it('matches nothing of an unrelated random SAE at cosine 0.7', async () => {
    const m = await matchLatents({ wDec: randomDecoder(64, 3), n: 64 }, { wDec: randomDecoder(96, 4), n: 96 }, D);
    expect(m.a.length).toBe(64);
    const f = summarise(m, new Float32Array(64), 0.7);
    expect(f.matched).toBe(0);
    expect(f.shareMatchedA).toBe(0);
    expect(f.unmatchedA).toHaveLength(64);
    expect(f.unmatchedB).toHaveLength(96);
    // Random directions in 64 dimensions are nearly orthogonal; the best of 96 stays far below 0.7.
    expect(Math.max(...m.bestA)).toBeLessThan(0.6);
  });

  it('switches to the greedy matching above HUNGARIAN_MAX latents a side, and refuses Hungarian there', async () => {
    const d = 4;
    const n = HUNGARIAN_MAX + 1;
    const big = randomDecoder(n, 5, d);
    // B holds copies of four latents of A: each must be matched to its original.
    const b = permuted(big, [7, 100, 4000, HUNGARIAN_MAX], d);
    const m = await matchLatents({ wDec: big, n }, { wDec: b, n: 4 }, d);
    expect(m.method).toBe('greedy');
    expect(Array.from(m.a, (a, p) => [a, m.b[p]]).sort((x, y) => x[1]! - y[1]!)).toEqual([[7, 0], [100, 1], [4000, 2], [HUNGARIAN_MAX, 3]]);
    await expect(matchLatents({ wDec: big, n }, { wDec: b, n: 4 }, d, { method: 'hungarian' })).rejects.toThrow(`the Hungarian matching takes at most ${HUNGARIAN_MAX} latents a side, got ${n} and 4`);
  });

  it('refuses a decoder whose size does not match its latents and width', async () => {
    await expect(matchLatents({ wDec: new Float32Array(10), n: 3 }, { wDec: new Float32Array(12), n: 3 }, 4)).rejects.toThrow('SAE A: W_dec has 10 values, expected d_sae × d_in = 3 × 4');
  });
});

describe('comparison figures', () => {
  // A has 3 latents, B 4. Pairs: (0,1) at 0.96, (1,3) at 0.72, (2,0) at 0.4; B2 has no partner.
  const matching: LatentMatching = {
    method: 'hungarian',
    a: Int32Array.from([1, 0, 2]),
    b: Int32Array.from([3, 1, 0]),
    cosine: Float32Array.from([0.72, 0.96, 0.4]),
    bestA: Float32Array.from([0.96, 0.72, 0.5]),
    bestB: Float32Array.from([0.4, 0.96, 0.3, 0.72]),
  };
  const f = summarise(matching, Float32Array.from([0.6, 0.9, 0.1]), 0.7);

  it('counts the pairs at the threshold as shares of each side, with their median correlation', () => {
    expect(f.matched).toBe(2);
    expect(f.shareMatchedA).toBeCloseTo(2 / 3, 10);
    expect(f.shareMatchedB).toBe(0.5);
    expect(f.medianCorrelation).toBeCloseTo(0.75, 6);
    expect(f.pairs.map((p) => [p.a, p.b])).toEqual([[0, 1], [1, 3], [2, 0]]);
    expect(f.pairs[0]!.correlation).toBeCloseTo(0.9, 6);
  });

  it('lists the unmatched latents of each side with their partner and best cosine, lowest first', () => {
    expect(f.unmatchedA).toEqual([{ latent: 2, partner: 0, partnerCosine: expect.closeTo(0.4, 6), bestCosine: expect.closeTo(0.5, 6) }]);
    expect(f.unmatchedB).toEqual([
      { latent: 2, partner: null, partnerCosine: null, bestCosine: expect.closeTo(0.3, 6) },
      { latent: 0, partner: 2, partnerCosine: expect.closeTo(0.4, 6), bestCosine: expect.closeTo(0.4, 6) },
    ]);
  });

  it('bins the matched cosines and gives the share matched at every threshold', () => {
    expect(f.histogram.binWidth).toBe(0.05);
    expect(f.histogram.counts).toHaveLength(20);
    expect(f.histogram.counts.reduce((s, c) => s + c, 0)).toBe(3);
    expect(f.histogram.counts[8]).toBe(1); // 0.40
    expect(f.histogram.counts[14]).toBe(1); // 0.72
    expect(f.histogram.counts[19]).toBe(1); // 0.96
    expect(f.curve).toHaveLength(21);
    expect(f.curve[0]).toEqual({ threshold: 0, shareA: 1, shareB: 0.75 });
    expect(f.curve[14]).toEqual({ threshold: 0.7, shareA: 2 / 3, shareB: 0.5 });
    expect(f.curve[20]).toEqual({ threshold: 1, shareA: 0, shareB: 0 });
  });
});
