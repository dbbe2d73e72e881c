// UMAP coordinates (2-D and 3-D) of a set of decoder directions with cosine distance. The kNN graph
// is exact for small sets and NN-descent above (knn.ts), the fuzzy graph and the layout are
// typed-array ports of umap-learn (fuzzy-graph.ts, umap-layout.ts): umap-js's own graph and optimiser
// took minutes at 16k points here. Both layouts start from the rows' top principal directions
// (umap-learn's init="pca"), which keeps the global arrangement stable between the 2-D and 3-D maps,
// and run at once in two worker threads when the machine has the cores.
import { availableParallelism } from 'node:os';
import { tf } from '../engine/backend.js';
import { WorkerChannel } from '../engine/worker.js';
import { fuzzyGraph } from './fuzzy-graph.js';
import { DEFAULT_KNN, knnGraph, knnMethod, principalDirections, UnitRows, type KnnGraph, type KnnOptions } from './knn.js';
import { seededRandom } from '../../src-shared/random.js';
import { defaultEpochs, layoutEdges, optimizeLayout, type LayoutOptions } from './umap-layout.js';
import type { LayoutRequest } from './umap-layout-worker.js';

export interface UmapOptions {
  /** Neighbours per point, counting itself (UMAP's n_neighbors); default 15. */
  nNeighbors: number;
  /** UMAP min_dist; default 0.1. */
  minDist: number;
  /** Optimisation epochs; default `defaultEpochs(n)`: 500 up to 10,000 points, fewer above (umap-layout.ts). */
  nEpochs?: number;
  seed: number;
  knn?: Partial<KnnOptions>;
  /**
   * 2: the 2-D and 3-D layouts run at once in two worker threads; 1: one after the other in this
   * thread. The coordinates are the same either way. Default 2 when the machine has two cores and
   * there are at least 4,096 points (below, starting the workers costs more than it saves).
   */
  threads?: 1 | 2;
}

/** Fewest points a layout is made of. */
export const MIN_POINTS = 3;

export const DEFAULT_UMAP: UmapOptions = { nNeighbors: 15, minDist: 0.1, seed: 0 };

/** Rows of a large set the principal directions are estimated from; the three leading ones are stable long before. */
const INIT_SAMPLE = 8192;

export interface UmapLayout {
  /** [n, 2] row-major. */
  xy: Float32Array;
  /** [n, 3] row-major. */
  xyz: Float32Array;
  /** The neighbour graph the layouts were built from. */
  neighbours: KnnGraph;
  stats: {
    knnMethod: 'exact' | 'nn-descent';
    epochs: number;
    threads: 1 | 2;
    knnSeconds: number;
    /** Fuzzy graph and init. */
    graphSeconds: number;
    /** Both layouts. */
    layoutSeconds: number;
  };
}

/** 'knn': the neighbour graph (steps of NN-descent, or 0/1 when exact); 'layout': epochs of both layouts together. */
export type UmapProgress = (stage: 'knn' | 'layout', done: number, total: number) => void;

export async function umapLayout(
  vectors: Float32Array,
  n: number,
  d: number,
  options: Partial<UmapOptions> = {},
  onProgress?: UmapProgress,
  signal?: AbortSignal,
): Promise<UmapLayout> {
  const o = { ...DEFAULT_UMAP, ...options };
  if (n < MIN_POINTS) throw new Error(`UMAP needs at least ${MIN_POINTS} latents, got ${n}`);
  const knnOptions = { ...DEFAULT_KNN, ...o.knn, k: Math.min(o.nNeighbors, n), seed: o.seed };
  const threads = o.threads ?? (availableParallelism() >= 2 && n >= 4096 ? 2 : 1);
  const nEpochs = o.nEpochs ?? defaultEpochs(n);
  const clock = performance.now();
  const lap = () => (performance.now() - clock) / 1000;

  onProgress?.('knn', 0, 1);
  const rows = new UnitRows(vectors, n, d);
  const neighbours = await knnGraph(rows, { ...knnOptions, nnDescent: { ...knnOptions.nnDescent, onProgress: (done, total) => onProgress?.('knn', done, total) } }, signal);
  onProgress?.('knn', 1, 1);
  const knnSeconds = lap();

  const init = await principalInit(rows, o.seed);
  const edges = layoutEdges(fuzzyGraph(neighbours), nEpochs, threads === 2);
  const graphSeconds = lap() - knnSeconds;

  const layout = (dim: 2 | 3): LayoutOptions => ({ nEpochs, minDist: o.minDist, seed: o.seed + 1000 + dim });
  let xy: Float32Array;
  let xyz: Float32Array;
  if (threads === 2) {
    const progress = [new Int32Array(new SharedArrayBuffer(4)), new Int32Array(new SharedArrayBuffer(4))];
    const report = setInterval(() => onProgress?.('layout', Atomics.load(progress[0], 0) + Atomics.load(progress[1], 0), 2 * nEpochs), 250);
    try {
      [xy, xyz] = await Promise.all([
        layoutInWorker({ edges, embedding: initialEmbedding(init, n, 2, o.seed), dim: 2, options: layout(2), progress: progress[0] }, signal),
        layoutInWorker({ edges, embedding: initialEmbedding(init, n, 3, o.seed), dim: 3, options: layout(3), progress: progress[1] }, signal),
      ]);
    } finally {
      clearInterval(report);
    }
  } else {
    xy = await optimizeLayout(edges, initialEmbedding(init, n, 2, o.seed), 2, { ...layout(2), signal, onEpoch: (epoch) => onProgress?.('layout', epoch, 2 * nEpochs) });
    xyz = await optimizeLayout(edges, initialEmbedding(init, n, 3, o.seed), 3, { ...layout(3), signal, onEpoch: (epoch) => onProgress?.('layout', nEpochs + epoch, 2 * nEpochs) });
  }
  onProgress?.('layout', 2 * nEpochs, 2 * nEpochs);
  return { xy, xyz, neighbours, stats: { knnMethod: knnMethod(n, knnOptions), epochs: nEpochs, threads, knnSeconds, graphSeconds, layoutSeconds: lap() - knnSeconds - graphSeconds } };
}

/** Each row's coordinates on the top (up to 3) principal directions, estimated on at most INIT_SAMPLE evenly spaced rows: [n, m]. */
async function principalInit(rows: UnitRows, seed: number): Promise<{ values: Float32Array; dims: number }> {
  const { n, d } = rows;
  const m = Math.min(3, d);
  const sampled = Math.min(n, INIT_SAMPLE);
  const sample = new Float32Array(sampled * d);
  for (let s = 0; s < sampled; s++) {
    const i = Math.floor((s * n) / sampled);
    sample.set(rows.rows.subarray(i * d, (i + 1) * d), s * d);
  }
  const directions = tf.tidy(() => principalDirections(tf.tensor2d(sample, [sampled, d]), m, seed)); // [d, m]
  const w = (await directions.data()) as Float32Array;
  directions.dispose();
  const values = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < m; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += rows.rows[i * d + j] * w[j * m + c];
      values[i * m + c] = s;
    }
  }
  return { values, dims: m };
}

/** umap-learn's PCA init: the principal coordinates scaled to ±10, plus a little noise so no two points coincide. */
function initialEmbedding(init: { values: Float32Array; dims: number }, n: number, dim: number, seed: number): Float32Array {
  const random = seededRandom(seed + dim);
  let scale = 0;
  for (const v of init.values) scale = Math.max(scale, Math.abs(v));
  const embedding = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < dim; c++) embedding[i * dim + c] = (c < init.dims ? (init.values[i * init.dims + c] * 10) / (scale || 1) : 0) + 1e-4 * (random() - 0.5);
  }
  return embedding;
}

/**
 * One layout in a worker thread of its own. A cancel terminates the thread, and wins even while the
 * thread is still starting (a terminated worker never reports ready).
 */
async function layoutInWorker(request: LayoutRequest, signal?: AbortSignal): Promise<Float32Array> {
  signal?.throwIfAborted();
  const channel = new WorkerChannel<LayoutRequest>(new URL('./umap-layout-worker.ts', import.meta.url), undefined, `UMAP ${request.dim}-D layout worker`);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  const work = channel.ready.then(() => channel.call<Float32Array>(request, [request.embedding.buffer as ArrayBuffer]));
  work.catch(() => {}); // after a cancel, the terminated worker's failure has no one left to tell
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await channel.dispose();
  }
}
