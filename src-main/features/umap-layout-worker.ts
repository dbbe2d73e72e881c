// Worker-thread side of the parallel UMAP layouts (umap.ts): runs one layout's epochs and counts them
// in a shared cell the parent reads for progress. Cancelling terminates the thread.
import { serveWorker } from '../engine/worker.js';
import { LayoutRun, type LayoutEdges, type LayoutOptions } from './umap-layout.js';

export interface LayoutRequest {
  edges: LayoutEdges;
  embedding: Float32Array;
  dim: number;
  options: LayoutOptions;
  /** Int32Array over a SharedArrayBuffer: [epochs done]. */
  progress: Int32Array;
}

await serveWorker<LayoutRequest>(async () => (request) => {
  const run = new LayoutRun(request.edges, request.embedding, request.dim, request.options);
  for (let epoch = 0; epoch < request.options.nEpochs; epoch++) {
    run.epoch(epoch);
    Atomics.store(request.progress, 0, epoch + 1);
  }
  return run.result();
});
