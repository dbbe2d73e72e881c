// UMAP's layout optimisation (umap-learn's optimize_layout_euclidean): stochastic gradient descent on
// the fuzzy graph's edges with negative sampling, on typed arrays. Each edge is sampled in proportion
// to its weight; the learning rate decays linearly to 0 over the epochs.
import { findABParams } from 'umap-js/dist/umap.js';
import type { FuzzyGraph } from './fuzzy-graph.js';

export interface LayoutOptions {
  nEpochs: number;
  minDist: number;
  /** UMAP's spread; default 1. */
  spread?: number;
  negativeSampleRate?: number;
  learningRate?: number;
  random: () => number;
  onEpoch?: (epoch: number, total: number) => void;
  signal?: AbortSignal;
}

const CLIP = 4;

function clip(v: number): number {
  return v > CLIP ? CLIP : v < -CLIP ? -CLIP : v;
}

/**
 * Optimises `embedding` [n, dim] in place. It gives the event loop a turn before each epoch: an epoch
 * of 65k points takes about half a second, the whole layout minutes, and meanwhile the compute
 * process must answer its heartbeat and queries, and a cancel must be able to arrive.
 */
export async function optimizeLayout(graph: FuzzyGraph, embedding: Float32Array, dim: number, options: LayoutOptions): Promise<void> {
  const { nEpochs, random } = options;
  const negativeRate = options.negativeSampleRate ?? 5;
  const initialAlpha = options.learningRate ?? 1;
  const { a, b } = findABParams(options.spread ?? 1, options.minDist);
  let maxWeight = 0;
  for (const w of graph.weight) maxWeight = Math.max(maxWeight, w);
  // Edges too weak to be sampled even once over the run are dropped (as umap-learn does).
  const keep: number[] = [];
  for (let e = 0; e < graph.weight.length; e++) if (graph.weight[e] >= maxWeight / nEpochs) keep.push(e);
  const m = keep.length;
  const head = Int32Array.from(keep, (e) => graph.head[e]);
  const tail = Int32Array.from(keep, (e) => graph.tail[e]);
  const epochsPerSample = Float64Array.from(keep, (e) => maxWeight / graph.weight[e]);
  const epochsPerNegative = epochsPerSample.map((x) => x / negativeRate);
  const nextSample = epochsPerSample.slice();
  const nextNegative = epochsPerNegative.slice();
  const n = graph.n;

  // Float64 working copy: V8 handles doubles without a conversion per read and write.
  const y = Float64Array.from(embedding);
  const delta = new Float64Array(dim);
  for (let epoch = 0; epoch < nEpochs; epoch++) {
    await new Promise((resolve) => setImmediate(resolve));
    options.signal?.throwIfAborted();
    const alpha = initialAlpha * (1 - epoch / nEpochs);
    for (let i = 0; i < m; i++) {
      if (nextSample[i] > epoch) continue;
      const j = head[i] * dim;
      const k = tail[i] * dim;
      let dist2 = 0;
      for (let d = 0; d < dim; d++) {
        delta[d] = y[j + d] - y[k + d];
        dist2 += delta[d] * delta[d];
      }
      if (dist2 > 0) {
        // d^(b−1) as d^b / d: one pow per sample instead of two.
        const powB = Math.pow(dist2, b);
        const attract = (-2 * a * b * (powB / dist2)) / (a * powB + 1);
        for (let d = 0; d < dim; d++) {
          const grad = clip(attract * delta[d]) * alpha;
          y[j + d] += grad;
          y[k + d] -= grad;
        }
      }
      nextSample[i] += epochsPerSample[i];
      const negatives = Math.floor((epoch - nextNegative[i]) / epochsPerNegative[i]);
      for (let p = 0; p < negatives; p++) {
        const o = Math.floor(random() * n) * dim;
        if (o === j) continue;
        let d2 = 0;
        for (let d = 0; d < dim; d++) {
          delta[d] = y[j + d] - y[o + d];
          d2 += delta[d] * delta[d];
        }
        if (d2 <= 0) continue;
        const repel = (2 * b) / ((0.001 + d2) * (a * Math.pow(d2, b) + 1));
        for (let d = 0; d < dim; d++) y[j + d] += clip(repel * delta[d]) * alpha;
      }
      nextNegative[i] += negatives * epochsPerNegative[i];
    }
    options.onEpoch?.(epoch + 1, nEpochs);
  }
  embedding.set(y);
}
