// UMAP's layout optimisation (umap-learn's optimize_layout_euclidean): stochastic gradient descent on
// the fuzzy graph's edges with negative sampling, on typed arrays. Each edge is sampled in proportion
// to its weight; the learning rate decays linearly to 0 over the epochs. The epochs run the same
// arithmetic in this thread (yielding between epochs) or in a worker (umap-layout-worker.ts), so a
// seed gives the same layout either way.
import { findABParams } from 'umap-js/dist/umap.js';
import { seededRandom } from '../../src-shared/random.js';
import type { FuzzyGraph } from './fuzzy-graph.js';

export interface LayoutOptions {
  nEpochs: number;
  minDist: number;
  /** UMAP's spread; default 1. */
  spread?: number;
  /** Negative samples per positive sample; default 5. */
  negativeSampleRate?: number;
  /** Initial learning rate; default 1. */
  learningRate?: number;
  /** Seed of the negative samples. */
  seed: number;
}

/**
 * Optimisation epochs for n points: 500 up to 10,000 points (umap-learn's figure), then a budget of
 * 5 million point-epochs, 500 × 10,000 / n, but at least 100. umap-learn drops to 200 above 10,000
 * points whatever n, so its layout costs ∝ n; here the cost stays flat up to 50,000 points and grows
 * as n only beyond, at 100 epochs (65,536 and 262,144 points both get 100). More points need fewer
 * epochs because an epoch samples every edge of a graph with the same edges per point, and the init
 * (the rows' principal directions) already holds the global arrangement: what is left is local.
 * bench umap reports the trustworthiness this reaches, and SAE_BENCH_UMAP_EPOCHS compares others.
 */
export function defaultEpochs(n: number): number {
  return n <= 10_000 ? 500 : Math.max(100, Math.round((500 * 10_000) / n));
}

/** The graph's edges as the optimiser samples them; in SharedArrayBuffers when `shared`, so two layout workers read one copy. */
export interface LayoutEdges {
  n: number;
  head: Int32Array;
  tail: Int32Array;
  /** Epochs between two samples of each edge: max weight / weight. */
  epochsPerSample: Float64Array;
}

/** Drops edges too weak to be sampled even once in `nEpochs` (as umap-learn does). */
export function layoutEdges(graph: FuzzyGraph, nEpochs: number, shared = false): LayoutEdges {
  let maxWeight = 0;
  for (const w of graph.weight) maxWeight = Math.max(maxWeight, w);
  let m = 0;
  for (const w of graph.weight) if (w >= maxWeight / nEpochs) m++;
  const buffer = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const edges: LayoutEdges = { n: graph.n, head: new Int32Array(buffer(4 * m)), tail: new Int32Array(buffer(4 * m)), epochsPerSample: new Float64Array(buffer(8 * m)) };
  let e = 0;
  for (let i = 0; i < graph.weight.length; i++) {
    if (graph.weight[i] < maxWeight / nEpochs) continue;
    edges.head[e] = graph.head[i];
    edges.tail[e] = graph.tail[i];
    edges.epochsPerSample[e++] = maxWeight / graph.weight[i];
  }
  return edges;
}

const CLIP = 4;

function clip(v: number): number {
  return v > CLIP ? CLIP : v < -CLIP ? -CLIP : v;
}

/** One layout in progress: `epoch(e)` for e = 0 … nEpochs − 1 in order, then `result()`. */
export class LayoutRun {
  private readonly y: Float64Array;
  private readonly nextSample: Float64Array;
  private readonly nextNegative: Float64Array;
  private readonly epochsPerNegative: Float64Array;
  private readonly random: () => number;
  private readonly a: number;
  private readonly b: number;

  constructor(
    private readonly edges: LayoutEdges,
    embedding: Float32Array,
    private readonly dim: number,
    private readonly options: LayoutOptions,
  ) {
    if (embedding.length !== edges.n * dim) throw new Error(`layout: the initial embedding has ${embedding.length} values, expected ${edges.n} points × ${dim}`);
    ({ a: this.a, b: this.b } = findABParams(options.spread ?? 1, options.minDist));
    const negativeRate = options.negativeSampleRate ?? 5;
    this.epochsPerNegative = edges.epochsPerSample.map((x) => x / negativeRate);
    this.nextSample = edges.epochsPerSample.slice();
    this.nextNegative = this.epochsPerNegative.slice();
    this.random = seededRandom(options.seed);
    // Float64 working copy: V8 handles doubles without a conversion per read and write.
    this.y = Float64Array.from(embedding);
  }

  /** One pass over the edges, written out for 2 and 3 dimensions (z is 0 in 2-D). */
  epoch(epoch: number): void {
    const { y, dim, a, b, random, nextSample, nextNegative, epochsPerNegative } = this;
    const { head, tail, epochsPerSample, n } = this.edges;
    const three = dim === 3;
    const alpha = (this.options.learningRate ?? 1) * (1 - epoch / this.options.nEpochs);
    const m = head.length;
    for (let i = 0; i < m; i++) {
      if (nextSample[i] > epoch) continue;
      const j = head[i] * dim;
      const k = tail[i] * dim;
      const dx = y[j] - y[k];
      const dy = y[j + 1] - y[k + 1];
      const dz = three ? y[j + 2] - y[k + 2] : 0;
      const dist2 = dx * dx + dy * dy + dz * dz;
      if (dist2 > 0) {
        // d^(b−1) as d^b / d: one power per sample instead of two, and exp(b·ln d) because V8's
        // Math.pow took ~80% of an epoch here, exp and log ~55%.
        const powB = Math.exp(b * Math.log(dist2));
        const attract = (-2 * a * b * (powB / dist2)) / (a * powB + 1);
        const gx = clip(attract * dx) * alpha;
        const gy = clip(attract * dy) * alpha;
        y[j] += gx;
        y[k] -= gx;
        y[j + 1] += gy;
        y[k + 1] -= gy;
        if (three) {
          const gz = clip(attract * dz) * alpha;
          y[j + 2] += gz;
          y[k + 2] -= gz;
        }
      }
      nextSample[i] += epochsPerSample[i];
      const negatives = Math.floor((epoch - nextNegative[i]) / epochsPerNegative[i]);
      for (let p = 0; p < negatives; p++) {
        const o = Math.floor(random() * n) * dim;
        if (o === j) continue;
        const ex = y[j] - y[o];
        const ey = y[j + 1] - y[o + 1];
        const ez = three ? y[j + 2] - y[o + 2] : 0;
        const d2 = ex * ex + ey * ey + ez * ez;
        if (d2 <= 0) continue;
        const repel = (2 * b) / ((0.001 + d2) * (a * Math.exp(b * Math.log(d2)) + 1));
        y[j] += clip(repel * ex) * alpha;
        y[j + 1] += clip(repel * ey) * alpha;
        if (three) y[j + 2] += clip(repel * ez) * alpha;
      }
      nextNegative[i] += negatives * epochsPerNegative[i];
    }
  }

  result(): Float32Array {
    return Float32Array.from(this.y);
  }
}

/**
 * Optimises a layout in this thread, giving the event loop a turn before each epoch: the compute
 * process must answer its heartbeat and queries meanwhile, and a cancel must be able to arrive.
 */
export async function optimizeLayout(
  edges: LayoutEdges,
  embedding: Float32Array,
  dim: number,
  options: LayoutOptions & { onEpoch?: (epoch: number, total: number) => void; signal?: AbortSignal },
): Promise<Float32Array> {
  const run = new LayoutRun(edges, embedding, dim, options);
  for (let epoch = 0; epoch < options.nEpochs; epoch++) {
    await new Promise((resolve) => setImmediate(resolve));
    options.signal?.throwIfAborted();
    run.epoch(epoch);
    options.onEpoch?.(epoch + 1, options.nEpochs);
  }
  return run.result();
}
