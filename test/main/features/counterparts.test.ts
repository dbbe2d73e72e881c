// Matching by activation correlation on a planted case: member B reads activations that are a known
// rotation of member A's (as two checkpoints' residual streams are different bases), and B's SAE is
// A's with its latents permuted and its weights rotated to match. Correlation must recover the
// permutation exactly, where decoder cosine (compared across the two bases) cannot; an unrelated SAE
// must come out as not present.
import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import type { ActivationSource } from '../../../src-main/data/activations.js';
import { ActivationCorrelation, forEachEncodedBatch, MatchedCorrelation, matchByCorrelation, PRESENT_AT, sharePresent } from '../../../src-main/features/counterparts.js';
import { decoderNeighbours } from '../../../src-main/features/neighbours.js';
import { createSaeRunner } from '../../../src-main/sae/inference.js';
import type { SaeBundle } from '../../../src-main/sae/types.js';
import { fillNormal, seededRandom } from '../../../src-shared/random.js';
import { D_MODEL, randomTopKSae } from './harvest-fixtures.js';

const D_SAE = 24;
const TOKENS_PER_WINDOW = 31;

/** A random orthogonal [d, d] matrix (Gram–Schmidt on Gaussian rows), row-major. */
function rotation(d: number, seed: number): Float32Array {
  const m = fillNormal(new Float32Array(d * d), 1, seededRandom(seed));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += m[i * d + k]! * m[j * d + k]!;
      for (let k = 0; k < d; k++) m[i * d + k]! -= dot * m[j * d + k]!;
    }
    let norm = 0;
    for (let k = 0; k < d; k++) norm += m[i * d + k]! ** 2;
    for (let k = 0; k < d; k++) m[i * d + k]! /= Math.sqrt(norm);
  }
  return m;
}

/** x [n, d] · r [d, d]. */
function times(x: Float32Array, r: Float32Array, d: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let t = 0; t < x.length / d; t++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) out[t * d + j] += x[t * d + k]! * r[k * d + j]!;
  return out;
}

/** Activations of a window: seeded Gaussians, optionally seen through a rotation. */
function source(rot?: Float32Array): ActivationSource {
  return {
    dIn: D_MODEL,
    activations: async (windows) => {
      const out = new Float32Array(windows.length * TOKENS_PER_WINDOW * D_MODEL);
      Array.from(windows).forEach((w, i) => {
        const x = fillNormal(new Float32Array(TOKENS_PER_WINDOW * D_MODEL), 1, seededRandom(1000 + w));
        out.set(rot ? times(x, rot, D_MODEL) : x, i * x.length);
      });
      return out;
    },
  };
}

/** A's SAE as B sees it: latent j of B is latent perm[j] of A, in the rotated basis (W_enc' = Rᵀ W_enc[:, perm], W_dec' = W_dec[perm] R). */
function permutedRotated(a: SaeBundle, perm: number[], rot: Float32Array): SaeBundle {
  const d = D_MODEL;
  const m = a.spec.dSae;
  const W_enc = new Float32Array(d * m);
  const W_dec = new Float32Array(m * d);
  perm.forEach((from, j) => {
    for (let r = 0; r < d; r++) {
      let enc = 0;
      let dec = 0;
      for (let k = 0; k < d; k++) {
        enc += rot[k * d + r]! * a.weights.W_enc[k * m + from]!; // (Rᵀ)[r, k] = R[k, r], so that x R · W_enc' = x W_enc[:, perm]
        dec += a.weights.W_dec[from * d + k]! * rot[k * d + r]!;
      }
      W_enc[r * m + j] = enc;
      W_dec[j * d + r] = dec;
    }
  });
  return { spec: a.spec, weights: { W_enc, W_dec, b_enc: Float32Array.from(perm, (from) => a.weights.b_enc[from]!), b_dec: new Float32Array(d) } };
}

describe('matching by activation correlation', () => {
  const rot = rotation(D_MODEL, 11);
  const perm = Array.from({ length: D_SAE }, (_, i) => i).sort((x, y) => Math.sin(x * 7.3) - Math.sin(y * 7.3));
  const a = randomTopKSae(D_SAE, 21, 4);
  const b = permutedRotated(a, perm, rot);
  const unrelated = randomTopKSae(D_SAE, 99, 4);

  it('recovers the planted permutation across rotated bases, where decoder cosine does not', async () => {
    const runners = [createSaeRunner(a), createSaeRunner(b), createSaeRunner(unrelated)];
    try {
      const windows = Array.from({ length: 40 }, (_, i) => i);
      const [toB, toUnrelated] = await matchByCorrelation(
        [
          { source: source(), runner: runners[0]! },
          { source: source(rot), runner: runners[1]! },
          { source: source(), runner: runners[2]! },
        ],
        0,
        { windows, batchWindows: 7, keep: 3 },
      );
      expect(toB!.other).toBe(1);
      const live = toB!.forward.filter((r) => r.correlations[0]! > 0);
      expect(live.length).toBeGreaterThan(D_SAE / 2);
      for (const r of live) {
        expect(perm[r.others[0]!]).toBe(r.latent);
        expect(r.correlations[0]).toBeCloseTo(1, 4);
      }
      for (const r of toB!.backward.filter((x) => x.correlations[0]! > 0)) expect(r.others[0]).toBe(perm[r.latent]);
      expect(sharePresent(toB!.forward)).toBe(live.length / D_SAE);
      // An unrelated dictionary on the same activations: nothing reaches the bar.
      expect(toUnrelated!.other).toBe(2);
      expect(sharePresent(toUnrelated!.forward)).toBeLessThan(0.25);

      const cosine = await decoderNeighbours(a.weights.W_dec, D_SAE, b.weights.W_dec, D_SAE, D_MODEL, { k: 1, excludeSelf: false });
      const byCosine = Array.from({ length: D_SAE }, (_, i) => perm[cosine.indices[i]!] === i).filter(Boolean).length;
      expect(byCosine).toBeLessThan(D_SAE / 2);
    } finally {
      for (const r of runners) r.dispose();
    }
  });

  it('gives a latent that never fires no counterpart, and matches a hand-computed Pearson r', () => {
    const corr = new ActivationCorrelation(2, 2);
    try {
      // a0 = [1, 2, 3, 4]; a1 never fires; b0 = [2, 4, 6, 9]; b1 = [4, 3, 2, 1].
      corr.add(tf.tensor2d([1, 0, 2, 0], [2, 2]), tf.tensor2d([2, 4, 4, 3], [2, 2]));
      corr.add(tf.tensor2d([3, 0, 4, 0], [2, 2]), tf.tensor2d([6, 2, 9, 1], [2, 2]));
      const m = corr.matrix();
      const r = Array.from(m.dataSync());
      m.dispose();
      // r(a0, b0) by hand: means 2.5 and 5.25; cov 16 − 2.5 · 5.25 = 2.875; σa² 1.25, σb² 6.6875.
      expect(r[0]).toBeCloseTo(2.875 / Math.sqrt(1.25 * 6.6875), 4);
      expect(r[1]).toBeCloseTo(-1, 4);
      expect(r[2]).toBe(0);
      expect(r[3]).toBe(0);
      expect(PRESENT_AT).toBe(0.7);
    } finally {
      corr.dispose();
    }
  });

  it('refuses batches of different token counts or widths', () => {
    const corr = new ActivationCorrelation(2, 3);
    try {
      expect(() => corr.add(tf.zeros([4, 2]) as tf.Tensor2D, tf.zeros([5, 3]) as tf.Tensor2D)).toThrow(/\[tokens, 2\] and \[tokens, 3\] on the same tokens, got \[4,2\] and \[5,3\]/);
      expect(() => corr.matrix()).toThrow(/no tokens were added/);
    } finally {
      corr.dispose();
    }
  });

  it('gives matched pairs the same r as the full matrix, in the order the pairs are given', () => {
    const full = new ActivationCorrelation(3, 4);
    const pairs = new MatchedCorrelation(Int32Array.from([2, 0, 1]), Int32Array.from([1, 3, 1]));
    try {
      const random = seededRandom(5);
      for (let batch = 0; batch < 3; batch++) {
        // Latent 1 of A never fires: its pair must read 0, as in the matrix.
        const a = tf.tensor2d(Float32Array.from({ length: 6 * 3 }, (_, i) => (i % 3 === 1 ? 0 : Math.max(0, random() - 0.3))), [6, 3]);
        const b = tf.tensor2d(Float32Array.from({ length: 6 * 4 }, () => Math.max(0, random() - 0.3)), [6, 4]);
        full.add(a, b);
        pairs.add(a, b);
        tf.dispose([a, b]);
      }
      expect(pairs.count).toBe(18);
      const m = full.matrix();
      const r = m.arraySync();
      m.dispose();
      const got = Array.from(pairs.correlations());
      expect(got[0]).toBeCloseTo(r[2]![1]!, 5);
      expect(got[1]).toBeCloseTo(r[0]![3]!, 5);
      expect(got[2]).toBe(0);
      expect(Math.abs(got[0]!)).toBeGreaterThan(0);
      expect(() => new MatchedCorrelation(Int32Array.from([0]), Int32Array.from([0, 1]))).toThrow('matched pairs need one latent of B per latent of A, got 1 and 2');
    } finally {
      full.dispose();
      pairs.dispose();
    }
  });

  it('encodes every batch with every member, reading a source the members share once per batch', async () => {
    const runners = [createSaeRunner(randomTopKSae(D_SAE, 1, 4)), createSaeRunner(randomTopKSae(D_SAE + 8, 2, 4))];
    const shared = source();
    let reads = 0;
    const counted: ActivationSource = { dIn: shared.dIn, activations: (w) => (reads++, shared.activations(w)) };
    const shapes: string[] = [];
    const progress: number[] = [];
    try {
      await forEachEncodedBatch(
        [{ source: counted, runner: runners[0]! }, { source: counted, runner: runners[1]! }],
        { windows: [0, 1, 2, 3, 4], batchWindows: 2, onProgress: (done) => progress.push(done) },
        (latents) => shapes.push(latents.map((l) => l.shape.join('x')).join(' ')),
      );
      expect(reads).toBe(3);
      expect(shapes).toEqual([`${2 * TOKENS_PER_WINDOW}x${D_SAE} ${2 * TOKENS_PER_WINDOW}x${D_SAE + 8}`, `${2 * TOKENS_PER_WINDOW}x${D_SAE} ${2 * TOKENS_PER_WINDOW}x${D_SAE + 8}`, `${TOKENS_PER_WINDOW}x${D_SAE} ${TOKENS_PER_WINDOW}x${D_SAE + 8}`]);
      expect(progress).toEqual([2, 4, 5]);
    } finally {
      for (const r of runners) r.dispose();
    }
  });
});
