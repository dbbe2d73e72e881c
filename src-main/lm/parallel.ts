// Data parallelism for the training step: tfjs on wasm computes on one thread, so `threads` worker
// threads, each with its own wasm instance and a copy of the parameters, take a share of the batch's
// windows. Per step:
//   1. the parameters (this thread's variables, which AdamW updated) are published in one shared
//      buffer, which every worker copies into its own variables;
//   2. worker s computes the loss and gradients of its windows, divided by the WHOLE batch's positions
//      (meanCrossEntropy's divisor), into its own shared buffer;
//   3. here the shards' gradients are added in worker order 0, 1, …, N−1, a fixed order, so a run is
//      deterministic for a given N; the sum is the batch's mean-loss gradient, the same quantity the
//      single-thread step computes (within float rounding, which depends on how the sums are split).
// Clipping and AdamW then run once, in this thread, on the summed gradients (optimizer.ts), so
// the parameters and moments that checkpoints, evaluation and export read live here, as without threads.
//
// Transport: SharedArrayBuffers, which Node's worker threads always have (this code never runs in a
// page, where cross-origin isolation would be needed). Per step that is one copy of the parameters
// out of this wasm heap into the shared buffer, one copy into each worker's heap, one copy of each
// shard's gradients out of its heap, the N−1 additions here and one copy of the sum into this heap:
// for the 4-layer d 128 model with the full vocabulary, 7.2M floats (29 MB) per copy (see
// docs/benchmarks.md for what it costs per step).
import { availableParallelism } from 'node:os';
import { engineInfo, tf } from '../engine/backend.js';
import { WorkerChannel } from '../engine/worker.js';
import type { AttentionPath } from '../model/attention.js';
import type { Gpt2Config } from '../model/config.js';
import { shardRanges } from '../sae/params.js';
import { onnxLossThreads } from './onnx-loss.js';
import type { TrainableGpt2, TrainVocab } from './params.js';

/** Where each parameter lies in the flat shared buffers, in the model's parameter order. */
export interface ParamLayout {
  names: string[];
  shapes: number[][];
  offsets: number[];
  sizes: number[];
  /** Floats in all parameters. */
  size: number;
}

export interface LmWorkerInit {
  backend: string;
  model: Gpt2Config;
  vocab: TrainVocab;
  attention: AttentionPath;
  /** When set, the worker computes its loss on ONNX Runtime (onnx-loss.ts): up to `rows` rows per step, on `threads` threads. */
  onnxLoss?: { rows: number; threads: number };
  layout: ParamLayout;
  /** Float32 parameters, written here before each step. */
  params: SharedArrayBuffer;
  /** Int32 [1]: the version of `params`, bumped (atomically) by each publication. */
  version: SharedArrayBuffer;
  /** Float32 gradients of this worker's windows, written by the worker. */
  grads: SharedArrayBuffer;
}

export interface LmWorkerStep {
  op: 'step';
  /** The parameters' version this step must run on. */
  version: number;
  /** Compact token ids [windows · ctx] of this worker's windows, and their next-token targets. */
  inputs: Int32Array;
  targets: Int32Array;
  windows: number;
  /** Predicted positions of the whole batch: the mean's denominator. */
  divisor: number;
}

/** One step's windows as compact token ids, [windows · ctx] each. */
export interface BatchIds {
  inputs: Int32Array;
  targets: Int32Array;
  windows: number;
}

export interface ParallelStep {
  /** Mean loss over the batch, nats/token. */
  loss: number;
  /** d loss / d parameter, by name, summed over the shards; the caller disposes them. */
  grads: Map<string, tf.Tensor>;
  /** Seconds this thread spent publishing parameters and adding gradients: the cost of the parallelism. */
  syncSeconds: number;
}

function paramLayout(model: TrainableGpt2): ParamLayout {
  const layout: ParamLayout = { names: [], shapes: [], offsets: [], sizes: [], size: 0 };
  for (const [name, v] of model.params) {
    layout.names.push(name);
    layout.shapes.push(v.shape);
    layout.offsets.push(layout.size);
    layout.sizes.push(v.size);
    layout.size += v.size;
  }
  return layout;
}

/** Refuses threads the backend cannot use; returns a warning when there are more threads than cores. */
export function checkThreads(threads: number): string | undefined {
  if (threads === 1) return undefined;
  if (engineInfo().backend === 'tensorflow') {
    throw new Error(`lm train: threads = ${threads}: worker threads exist to use several cores with the single-threaded wasm backend; the tensorflow backend (${engineInfo().package}) already uses them all, so use threads = 1`);
  }
  const cores = availableParallelism();
  return threads > cores ? `${threads} threads on ${cores} cores: they will take turns, which is slower than ${cores}` : undefined;
}

export class DataParallel {
  private readonly params: Float32Array;
  private readonly version: Int32Array;
  private readonly sum: Float32Array;

  private constructor(
    private readonly layout: ParamLayout,
    shared: { params: SharedArrayBuffer; version: SharedArrayBuffer },
    private readonly workers: Array<{ channel: WorkerChannel<LmWorkerStep>; grads: Float32Array }>,
  ) {
    this.params = new Float32Array(shared.params);
    this.version = new Int32Array(shared.version);
    this.sum = new Float32Array(layout.size);
  }

  /**
   * Starts `threads` workers holding `model`'s shape and vocabulary (their parameters arrive with the
   * first step); with `onnxLossRows`, each computes its loss on ONNX Runtime, the cores shared out.
   */
  static async start(threads: number, model: TrainableGpt2, onnxLossRows?: number): Promise<DataParallel> {
    const layout = paramLayout(model);
    const shared = { params: new SharedArrayBuffer(layout.size * 4), version: new SharedArrayBuffer(4) };
    const workers = Array.from({ length: threads }, (_, s) => {
      const grads = new SharedArrayBuffer(layout.size * 4);
      const init: LmWorkerInit = { backend: engineInfo().choice, model: model.config, vocab: model.vocab, attention: model.attention, onnxLoss: onnxLossRows === undefined ? undefined : { rows: onnxLossRows, threads: onnxLossThreads(threads) }, layout, ...shared, grads };
      return { channel: new WorkerChannel<LmWorkerStep>(new URL('./parallel-worker.ts', import.meta.url), init, `LM worker ${s + 1} of ${threads}`), grads: new Float32Array(grads) };
    });
    try {
      await Promise.all(workers.map((w) => w.channel.ready));
    } catch (err) {
      await Promise.all(workers.map((w) => w.channel.dispose()));
      throw err;
    }
    return new DataParallel(layout, shared, workers);
  }

  /** The batch's mean loss and its gradients at `model`'s current parameters, computed by the workers. */
  async lossAndGrads(model: TrainableGpt2, batch: BatchIds, ctx: number): Promise<ParallelStep> {
    let started = performance.now();
    const { names, shapes, offsets, sizes } = this.layout;
    names.forEach((name, i) => this.params.set(model.params.get(name)!.dataSync() as Float32Array, offsets[i]));
    // The atomic add orders the plain writes above before the worker's atomic load of the version.
    const version = Atomics.add(this.version, 0, 1) + 1;
    let syncSeconds = (performance.now() - started) / 1000;

    // Contiguous runs of windows whose sizes differ by at most one.
    const shards = shardRanges(batch.windows, this.workers.length);
    const divisor = batch.windows * ctx;
    const losses = await Promise.all(
      this.workers.map(({ channel }, s) => {
        const { offset, count } = shards[s];
        const inputs = batch.inputs.slice(offset * ctx, (offset + count) * ctx);
        const targets = batch.targets.slice(offset * ctx, (offset + count) * ctx);
        return channel.call<number>({ op: 'step', version, inputs, targets, windows: count, divisor }, [inputs.buffer, targets.buffer]);
      }),
    );

    started = performance.now();
    const sum = this.sum;
    sum.set(this.workers[0].grads);
    for (let s = 1; s < this.workers.length; s++) {
      const g = this.workers[s].grads;
      for (let i = 0; i < sum.length; i++) sum[i] += g[i];
    }
    const grads = new Map<string, tf.Tensor>();
    names.forEach((name, i) => grads.set(name, tf.tensor(sum.subarray(offsets[i], offsets[i] + sizes[i]), shapes[i], 'float32')));
    syncSeconds += (performance.now() - started) / 1000;
    return { loss: losses.reduce((a, b) => a + b, 0), grads, syncSeconds };
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.channel.dispose()));
  }
}
