// The k-nearest-neighbour graph UMAP needs, by cosine distance, computed exactly in blocks with one
// matmul per block. Above `reduceAbove` points the rows are first projected on their top principal
// directions (as UMAP's authors advise for high-dimensional data), which cuts the n² · d matmul
// cost by d / dims; the neighbours are then approximate.
import { tf } from '../engine/backend.js';
import { unitRows } from './neighbours.js';
import { seededRandom } from '../../src-shared/random.js';

export interface KnnGraph {
  /** indices[i] lists i's neighbours, closest first, starting with i itself (UMAP's convention). */
  indices: number[][];
  /** Cosine distances 1 − cos, matching `indices`. */
  distances: number[][];
}

export interface KnnOptions {
  /** Neighbours per point, counting the point itself; default 15. */
  k: number;
  /** Project on this many principal directions before the search…; default 64. */
  dims: number;
  /** …when there are more points than this; default 8192. */
  reduceAbove: number;
  /** Rows per matmul; default 1024. */
  block: number;
  seed: number;
}

export const DEFAULT_KNN: KnnOptions = { k: 15, dims: 64, reduceAbove: 8192, block: 1024, seed: 0 };

export async function knnGraph(x: Float32Array, n: number, d: number, options: Partial<KnnOptions> = {}, signal?: AbortSignal): Promise<KnnGraph> {
  const o = { ...DEFAULT_KNN, ...options };
  const points = tf.tidy(() => {
    const unit = unitRows(tf.tensor2d(x, [n, d])); // [n, d]
    return shouldReduce(n, d, o) ? unitRows(tf.matMul(unit, principalDirections(unit, o.dims, o.seed))) : unit; // [n, dims or d]
  });
  try {
    return await knnOfUnitRows(points, o.k, o.block, signal);
  } finally {
    points.dispose();
  }
}

export function shouldReduce(n: number, d: number, o: Pick<KnnOptions, 'dims' | 'reduceAbove'>): boolean {
  return n > o.reduceAbove && d > o.dims;
}

/** Exact kNN of unit rows [n, m] by cosine, `block` query rows per matmul. */
export async function knnOfUnitRows(points: tf.Tensor2D, kWanted: number, block: number, signal?: AbortSignal): Promise<KnnGraph> {
  const n = points.shape[0];
  const k = Math.min(kWanted, n);
  const pointsT = tf.transpose(points); // [m, n]
  const indices: number[][] = new Array(n);
  const distances: number[][] = new Array(n);
  try {
    for (let start = 0; start < n; start += block) {
      signal?.throwIfAborted();
      const rows = Math.min(block, n - start);
      const best = tf.tidy(() => tf.topk(tf.matMul(points.slice([start, 0], [rows, -1]), pointsT), k)); // [rows, k]
      const [values, ids] = await Promise.all([best.values.data(), best.indices.data()]);
      tf.dispose([best.values, best.indices]);
      for (let r = 0; r < rows; r++) {
        const i = start + r;
        const row = Array.from(ids.subarray(r * k, (r + 1) * k));
        const dist = Array.from(values.subarray(r * k, (r + 1) * k), (c) => Math.max(0, 1 - c));
        // Ties with duplicates can put another point before i, and rounding gives 1 − cos(x, x) ≈ 6e-8;
        // UMAP expects i first at distance exactly 0.
        const self = row.indexOf(i);
        if (self !== 0) {
          row.splice(self >= 0 ? self : k - 1, 1);
          dist.splice(self >= 0 ? self : k - 1, 1);
          row.unshift(i);
          dist.unshift(0);
        }
        dist[0] = 0;
        indices[i] = row;
        distances[i] = dist;
      }
    }
  } finally {
    pointsT.dispose();
  }
  return { indices, distances };
}

/**
 * Top `m` right singular vectors of x [n, d] (eigenvectors of xᵀx) by subspace iteration with
 * Gram–Schmidt: [d, m]. Uncentred, so dot products (cosines) are what is preserved.
 */
export function principalDirections(x: tf.Tensor2D, m: number, seed: number, iterations = 8): tf.Tensor2D {
  const d = x.shape[1];
  const gram = tf.tidy(() => tf.matMul(tf.transpose(x), x)); // [d, d]
  const gramData = gram.dataSync() as Float32Array;
  gram.dispose();
  const random = seededRandom(seed);
  let q = Float64Array.from({ length: d * m }, () => random() - 0.5); // [d, m]
  orthonormalizeColumns(q, d, m);
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(d * m);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const g = gramData[i * d + j];
        if (g === 0) continue;
        for (let c = 0; c < m; c++) next[i * m + c] += g * q[j * m + c];
      }
    }
    orthonormalizeColumns(next, d, m);
    q = next;
  }
  return tf.tensor2d(Float32Array.from(q), [d, m]);
}

function orthonormalizeColumns(q: Float64Array, rows: number, cols: number): void {
  for (let c = 0; c < cols; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let r = 0; r < rows; r++) dot += q[r * cols + c] * q[r * cols + p];
      for (let r = 0; r < rows; r++) q[r * cols + c] -= dot * q[r * cols + p];
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += q[r * cols + c] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let r = 0; r < rows; r++) q[r * cols + c] /= norm;
  }
}
