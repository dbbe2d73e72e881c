// One-to-one matching of two SAEs' latents at the same site by decoder cosine (Gao et al. 2024 §6
// compare runs this way; Paulo & Belrose 2025, "Sparse autoencoders trained on the same data learn
// different features", use the Hungarian matching). Up to HUNGARIAN_MAX latents a side the matching
// is optimal: the Hungarian algorithm (munkres) maximises the summed cosine over all one-to-one
// assignments. Above it the cost matrix and the O(n³) solve grow too large, and the matching is
// greedy, best pair first, among each latent's GREEDY_CANDIDATES nearest decoder neighbours on the
// other side (decoderNeighbours), so memory stays linear in the latents.
import { munkres } from 'munkres';
import { tf } from '../engine/backend.js';
import { decoderNeighbours, unitRows } from './neighbours.js';

/**
 * Largest side the Hungarian matching takes. `npm run bench -- latent-matching` on real decoder
 * cosines (two 4,096-latent halves of an 8,192-latent SAE of the shipped model): the solve takes
 * 1.8–8.5 s on two shared cores, with a 64 MiB cost matrix (docs/compare.md). Twice the size costs
 * about 8× the time and 4× the memory, and the solve holds the compute process's event loop.
 */
export const HUNGARIAN_MAX = 4096;
/** Nearest neighbours per latent, in each direction, the greedy matching chooses among. */
export const GREEDY_CANDIDATES = 32;

export type MatchMethod = 'hungarian' | 'greedy';

/** Matched pairs, in no particular order. */
export interface LatentPairs {
  a: Int32Array;
  b: Int32Array;
  cosine: Float32Array;
}

export interface LatentMatching extends LatentPairs {
  method: MatchMethod;
  /** Each latent's highest decoder cosine with any latent of the other side. */
  bestA: Float32Array;
  bestB: Float32Array;
}

export interface Decoder {
  /** W_dec [n, d], row-major. */
  wDec: Float32Array;
  n: number;
}

/** Cosines of every decoder row of A with every one of B: [nA · nB], row-major. */
export function decoderCosines(a: Decoder, b: Decoder, d: number): Float32Array {
  // B is transposed once ahead: wasm's matMul with a transposed operand is slow (neighbours.ts).
  const cos = tf.tidy(() => tf.matMul(unitRows(tf.tensor2d(a.wDec, [a.n, d])), tf.transpose(unitRows(tf.tensor2d(b.wDec, [b.n, d]))))); // [nA, nB]
  try {
    return cos.dataSync() as Float32Array;
  } finally {
    cos.dispose();
  }
}

/** The assignment of A's latents to B's (min(nA, nB) pairs) that maximises the summed cosine. */
export function hungarianMatch(cosines: Float32Array, nA: number, nB: number): LatentPairs {
  if (cosines.length !== nA * nB) throw new Error(`a cosine matrix of ${nA} × ${nB} needs ${nA * nB} values, got ${cosines.length}`);
  const cost = new Float32Array(cosines.length);
  for (let i = 0; i < cost.length; i++) cost[i] = 1 - cosines[i]!;
  const rows = Array.from({ length: nA }, (_, i) => cost.subarray(i * nB, (i + 1) * nB));
  const assigned = munkres(rows);
  const pairs = { a: new Int32Array(assigned.length), b: new Int32Array(assigned.length), cosine: new Float32Array(assigned.length) };
  assigned.forEach(([i, j], p) => {
    pairs.a[p] = i;
    pairs.b[p] = j;
    pairs.cosine[p] = cosines[i * nB + j]!;
  });
  return pairs;
}

/** Greedy one-to-one matching: candidate pairs by falling cosine, each kept when both latents are still free. */
export function greedyMatch(candidates: LatentPairs, nA: number, nB: number): LatentPairs {
  const order = Array.from(candidates.cosine.keys()).sort((x, y) => candidates.cosine[y]! - candidates.cosine[x]! || candidates.a[x]! - candidates.a[y]! || candidates.b[x]! - candidates.b[y]!);
  const takenA = new Uint8Array(nA);
  const takenB = new Uint8Array(nB);
  const kept: number[] = [];
  for (const p of order) {
    const i = candidates.a[p]!;
    const j = candidates.b[p]!;
    if (takenA[i] || takenB[j]) continue;
    takenA[i] = takenB[j] = 1;
    kept.push(p);
    if (kept.length === Math.min(nA, nB)) break;
  }
  return { a: Int32Array.from(kept, (p) => candidates.a[p]!), b: Int32Array.from(kept, (p) => candidates.b[p]!), cosine: Float32Array.from(kept, (p) => candidates.cosine[p]!) };
}

/** Every pair of a cosine matrix [nA · nB] as candidates. */
export function allPairs(cosines: Float32Array, nA: number, nB: number): LatentPairs {
  return {
    a: Int32Array.from({ length: nA * nB }, (_, p) => Math.floor(p / nB)),
    b: Int32Array.from({ length: nA * nB }, (_, p) => p % nB),
    cosine: cosines,
  };
}

export interface MatchOptions {
  /** 'auto' (default): Hungarian when both sides have at most HUNGARIAN_MAX latents, else greedy. */
  method?: MatchMethod | 'auto';
}

/** Matches the latents of two SAEs at one site (both W_dec [n, d]) by decoder cosine. */
export async function matchLatents(a: Decoder, b: Decoder, d: number, options: MatchOptions = {}): Promise<LatentMatching> {
  for (const [side, dec] of [['A', a], ['B', b]] as const) {
    if (!Number.isInteger(dec.n) || dec.n < 1 || dec.wDec.length !== dec.n * d) throw new Error(`SAE ${side}: W_dec has ${dec.wDec.length} values, expected d_sae × d_in = ${dec.n} × ${d}`);
  }
  const method = options.method === undefined || options.method === 'auto' ? (a.n <= HUNGARIAN_MAX && b.n <= HUNGARIAN_MAX ? 'hungarian' : 'greedy') : options.method;
  if (method === 'hungarian' && (a.n > HUNGARIAN_MAX || b.n > HUNGARIAN_MAX)) {
    throw new Error(`the Hungarian matching takes at most ${HUNGARIAN_MAX} latents a side, got ${a.n} and ${b.n}; use the greedy matching`);
  }
  if (method === 'hungarian') {
    const cosines = decoderCosines(a, b, d);
    const bestA = new Float32Array(a.n).fill(-Infinity);
    const bestB = new Float32Array(b.n).fill(-Infinity);
    for (let i = 0; i < a.n; i++) {
      for (let j = 0; j < b.n; j++) {
        const c = cosines[i * b.n + j]!;
        if (c > bestA[i]!) bestA[i] = c;
        if (c > bestB[j]!) bestB[j] = c;
      }
    }
    return { method, ...hungarianMatch(cosines, a.n, b.n), bestA, bestB };
  }
  const k = (n: number) => Math.min(GREEDY_CANDIDATES, n);
  const ab = await decoderNeighbours(a.wDec, a.n, b.wDec, b.n, d, { k: k(b.n), excludeSelf: false });
  const ba = await decoderNeighbours(b.wDec, b.n, a.wDec, a.n, d, { k: k(a.n), excludeSelf: false });
  const bestA = Float32Array.from({ length: a.n }, (_, i) => ab.cosines[i * ab.k]!);
  const bestB = Float32Array.from({ length: b.n }, (_, j) => ba.cosines[j * ba.k]!);
  // Candidates from both directions, so a latent of B that is nobody's near neighbour can still be matched to its own nearest.
  const candidates: LatentPairs = {
    a: Int32Array.from([...Array.from(ab.indices.keys(), (p) => Math.floor(p / ab.k)), ...ba.indices]),
    b: Int32Array.from([...ab.indices, ...Array.from(ba.indices.keys(), (p) => Math.floor(p / ba.k))]),
    cosine: Float32Array.from([...ab.cosines, ...ba.cosines]),
  };
  return { method, ...greedyMatch(candidates, a.n, b.n), bestA, bestB };
}
