// UMAP coordinates (2-D and 3-D) of a set of decoder directions with cosine distance. The kNN graph
// comes from blocked matmuls (knn.ts), the fuzzy graph and the layout from typed-array ports of
// umap-learn (fuzzy-graph.ts, umap-layout.ts): umap-js's own graph and optimiser took minutes at 16k
// points here. Layouts start from the rows' top principal directions (umap-learn's init="pca"),
// which keeps the global arrangement stable between the 2-D and 3-D maps.
import { tf } from '../engine/backend.js';
import { fuzzyGraph } from './fuzzy-graph.js';
import { DEFAULT_KNN, knnOfUnitRows, principalDirections, shouldReduce, type KnnOptions } from './knn.js';
import { unitRows } from './neighbours.js';
import { seededRandom } from '../../src-shared/random.js';
import { optimizeLayout } from './umap-layout.js';

export interface UmapOptions {
  /** Neighbours per point, counting itself (UMAP's n_neighbors); default 15. */
  nNeighbors: number;
  /** UMAP min_dist; default 0.1. */
  minDist: number;
  /** Optimisation epochs; default 500 up to 10,000 points, 200 above (umap-learn's choice). */
  nEpochs?: number;
  seed: number;
  knn?: Partial<KnnOptions>;
}

export const DEFAULT_UMAP: UmapOptions = { nNeighbors: 15, minDist: 0.1, seed: 0 };

export interface UmapLayout {
  /** [n, 2] row-major. */
  xy: Float32Array;
  /** [n, 3] row-major. */
  xyz: Float32Array;
}

export type UmapProgress = (stage: 'knn' | '2d' | '3d', done: number, total: number) => void;

export async function umapLayout(
  vectors: Float32Array,
  n: number,
  d: number,
  options: Partial<UmapOptions> = {},
  onProgress?: UmapProgress,
  signal?: AbortSignal,
): Promise<UmapLayout> {
  const o = { ...DEFAULT_UMAP, ...options };
  const knnOptions = { ...DEFAULT_KNN, ...o.knn, seed: o.seed };
  if (n < 3) throw new Error(`UMAP needs at least 3 latents, got ${n}`);
  onProgress?.('knn', 0, 1);
  const reduce = shouldReduce(n, d, knnOptions);
  const unit = tf.tidy(() => unitRows(tf.tensor2d(vectors, [n, d]))); // [n, d]
  const directions = principalDirections(unit, reduce ? knnOptions.dims : Math.min(3, d), o.seed); // [d, m]
  const projected: tf.Tensor2D = tf.matMul(unit, directions); // [n, m]
  const points = reduce ? unitRows(projected) : unit; // [n, m or d]
  const leading = projected.slice([0, 0], [n, Math.min(3, d)]); // [n, ≤3]
  let graph;
  let init: Float32Array;
  try {
    graph = fuzzyGraph(await knnOfUnitRows(points, Math.min(o.nNeighbors, n), knnOptions.block, signal));
    init = (await leading.data()) as Float32Array;
  } finally {
    tf.dispose([unit, directions, projected, points, leading]);
  }
  onProgress?.('knn', 1, 1);
  const initDims = init.length / n;
  const nEpochs = o.nEpochs ?? (n <= 10_000 ? 500 : 200);
  const embed = async (dim: 2 | 3): Promise<Float32Array> => {
    const random = seededRandom(o.seed + dim);
    // umap-learn's PCA init: scaled to ±10, plus a little noise so no two points coincide.
    let scale = 0;
    for (const v of init) scale = Math.max(scale, Math.abs(v));
    const embedding = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < dim; c++) embedding[i * dim + c] = (c < initDims ? (init[i * initDims + c] * 10) / (scale || 1) : 0) + 1e-4 * (random() - 0.5);
    }
    await optimizeLayout(graph, embedding, dim, {
      nEpochs,
      minDist: o.minDist,
      random,
      signal,
      onEpoch: (epoch, total) => onProgress?.(dim === 2 ? '2d' : '3d', epoch, total),
    });
    return embedding;
  };
  return { xy: await embed(2), xyz: await embed(3) };
}
