// The k-nearest-neighbour graph UMAP needs, by cosine distance in the full width. Up to `exactUpTo`
// points it is exact (blocked matmuls, neighbours.ts); above, approximate by NN-descent seeded with
// random-projection trees (nn-descent.ts), as umap-learn does with pynndescent: the exact search costs
// n²·d, 2.6 TFLOP at 65k × 768 and 16 times that at 262k, which is minutes to hours on two cores.
import { tf } from '../engine/backend.js';
import { createSimdOps, type SimdOps } from '../engine/simd.js';
import { decoderNeighbours } from './neighbours.js';
import { nnDescent, type NnDescentOptions } from './nn-descent.js';
import { seededRandom } from '../../src-shared/random.js';

export interface KnnGraph {
  n: number;
  /** Neighbours per point, the point itself included. */
  k: number;
  /** [n, k] row-major: each row lists the point itself first, then its neighbours closest first (UMAP's convention). */
  indices: Int32Array;
  /** [n, k] cosine distances 1 − cos, matching `indices`. */
  distances: Float32Array;
}

export interface KnnOptions {
  /** Neighbours per point, counting the point itself; default 15. */
  k: number;
  /** 'exact', 'nn-descent', or 'auto': exact up to `exactUpTo` points, NN-descent above; default 'auto'. */
  method: 'auto' | 'exact' | 'nn-descent';
  /** Largest n searched exactly under 'auto'; default 4096 (n²·d = 13 GFLOP at d 768, a second or two). */
  exactUpTo: number;
  seed: number;
  /** NN-descent's own settings (trees, iterations…), pynndescent's defaults when absent. */
  nnDescent?: Partial<Omit<NnDescentOptions, 'k' | 'seed'>>;
}

export const DEFAULT_KNN: KnnOptions = { k: 15, method: 'auto', exactUpTo: 4096, seed: 0 };

/**
 * Rows scaled to unit length, kept in a WebAssembly memory so a cosine is one SIMD dot product
 * (engine/simd.ts): NN-descent and the quality measures evaluate millions of single distances, where
 * a matmul does not help and a JavaScript loop is ~5× slower. Zero rows stay zero.
 */
export class UnitRows {
  /** [n, d] row-major view of the unit rows. */
  readonly rows: Float32Array;
  private readonly spare: Float32Array;
  private readonly ops: SimdOps;
  private readonly rowBytes: number;

  constructor(
    x: Float32Array,
    readonly n: number,
    readonly d: number,
  ) {
    if (x.length !== n * d) throw new Error(`UnitRows: ${x.length} values do not make ${n} rows of ${d}`);
    const bytes = (n + 1) * d * 4; // one spare row after the data: see setSpare
    const pages = Math.max(1, Math.ceil(bytes / 65536));
    if (pages > 65536) throw new Error(`UnitRows: ${n} rows of ${d} floats need ${(bytes / 2 ** 30).toFixed(1)} GiB, above WebAssembly's 4 GiB memory`);
    const memory = new WebAssembly.Memory({ initial: pages });
    this.rows = new Float32Array(memory.buffer, 0, n * d);
    this.spare = new Float32Array(memory.buffer, n * d * 4, d);
    this.ops = createSimdOps(memory);
    this.rowBytes = d * 4;
    for (let i = 0; i < n; i++) {
      const row = x.subarray(i * d, (i + 1) * d);
      let norm = 0;
      for (let j = 0; j < d; j++) norm += row[j] * row[j];
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let j = 0; j < d; j++) this.rows[i * d + j] = row[j] * scale;
    }
  }

  /** Cosine distance 1 − u_i·u_j. */
  distance(i: number, j: number): number {
    return 1 - this.ops.dot(i * this.rowBytes, j * this.rowBytes, this.d);
  }

  /** Writes `v` [d] in the spare row that `spareDot` reads: a tree's hyperplane normal costs one dot per point, not two. */
  setSpare(v: Float32Array): void {
    this.spare.set(v);
  }

  /** u_i · the spare row. */
  spareDot(i: number): number {
    return this.ops.dot(i * this.rowBytes, this.n * this.rowBytes, this.d);
  }

  /** Cosine distances from row i to every row: [n]. */
  distancesFrom(i: number, out = new Float32Array(this.n)): Float32Array {
    for (let j = 0; j < this.n; j++) out[j] = this.distance(i, j);
    return out;
  }
}

export async function knnGraph(rows: UnitRows, options: Partial<KnnOptions> = {}, signal?: AbortSignal): Promise<KnnGraph> {
  const o = { ...DEFAULT_KNN, ...options };
  const k = Math.min(o.k, rows.n);
  if (k < 2) throw new Error(`a neighbour graph needs k ≥ 2 (the point and one neighbour), got k ${o.k} for ${rows.n} points`);
  return knnMethod(rows.n, o) === 'exact' ? exactKnn(rows, k, signal) : nnDescent(rows, { ...o.nnDescent, k, seed: o.seed, signal });
}

export function knnMethod(n: number, o: Pick<KnnOptions, 'method' | 'exactUpTo'>): 'exact' | 'nn-descent' {
  return o.method === 'exact' || (o.method === 'auto' && n <= o.exactUpTo) ? 'exact' : 'nn-descent';
}

/** Exact kNN: every row against all rows in matmul blocks (neighbours.ts), self put first. */
async function exactKnn(rows: UnitRows, k: number, signal?: AbortSignal): Promise<KnnGraph> {
  signal?.throwIfAborted();
  const { n, d } = rows;
  const table = await decoderNeighbours(rows.rows, n, rows.rows, n, d, { k: k - 1, excludeSelf: true });
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    indices[i * k] = i;
    for (let c = 1; c < k; c++) {
      indices[i * k + c] = table.indices[i * (k - 1) + c - 1];
      distances[i * k + c] = Math.max(0, 1 - table.cosines[i * (k - 1) + c - 1]);
    }
  }
  return { n, k, indices, distances };
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
