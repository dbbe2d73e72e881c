// UMAP coordinates (2-D and 3-D) of a set of decoder directions with cosine distance. The kNN graph
// comes from knn.ts (blocked matmuls) and is handed to umap-js as precomputed, because umap-js's own
// neighbour search in plain JS does not scale past a few thousand points.
import { UMAP } from 'umap-js';
import { knnGraph, type KnnOptions } from './knn.js';
import { seededRandom } from './rng.js';

export interface UmapOptions {
  /** Neighbours per point (UMAP's n_neighbors); default 15. */
  nNeighbors: number;
  /** UMAP min_dist; default 0.1. */
  minDist: number;
  /** Optimisation epochs; default umap-js's choice (200 above 7,500 points, up to 500 below). */
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
  if (n < 3) throw new Error(`UMAP needs at least 3 latents, got ${n}`);
  const nNeighbors = Math.min(o.nNeighbors, n - 1);
  onProgress?.('knn', 0, 1);
  const graph = await knnGraph(vectors, n, d, { ...o.knn, k: nNeighbors, seed: o.seed }, signal);
  onProgress?.('knn', 1, 1);
  const placeholders = Array.from({ length: n }, () => [] as number[]);
  const embed = (dims: 2 | 3): Float32Array => {
    const umap = new UMAP({ nComponents: dims, nNeighbors, minDist: o.minDist, nEpochs: o.nEpochs, random: seededRandom(o.seed + dims) });
    umap.setPrecomputedKNN(graph.indices, graph.distances);
    const epochs = umap.initializeFit(placeholders);
    for (let e = 0; e < epochs; e++) {
      signal?.throwIfAborted();
      umap.step();
      if (e % 10 === 0) onProgress?.(dims === 2 ? '2d' : '3d', e, epochs);
    }
    return Float32Array.from(umap.getEmbedding().flat());
  };
  return { xy: embed(2), xyz: embed(3) };
}
