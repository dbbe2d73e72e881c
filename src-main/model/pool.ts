// GPT-2 on every core: tfjs on wasm computes on one thread, so N worker threads, each with its own
// wasm instance and its own copy of the weights, run the forward passes of different window groups
// at once (data parallelism; model/pool-worker.ts is the other side).
//
// The weights travel once: this thread copies every parameter out of its model into one
// SharedArrayBuffer, and each worker uploads its tensors from that buffer into its own wasm heap
// (tfjs-wasm keeps tensors in the instance's linear memory, so a worker cannot compute on shared
// memory in place); the buffer is dropped once every worker has loaded. What stays is one copy of
// the weights per worker, beside this thread's own (`memory()` reports each worker's heap).
//
// A group runs in a worker exactly as it runs in this thread (data/activations.ts's hookActivations
// on the same windows), so pooled activations equal in-thread ones bit for bit.
import { availableParallelism } from 'node:os';
import type { HookName } from '../../src-shared/hooks.js';
import { engineInfo } from '../engine/backend.js';
import { WorkerChannel } from '../engine/worker.js';
import type { GroupRunner } from '../data/activations.js';
import type { BatchEval, SpliceEvalRunner } from '../sae/splice-eval.js';
import type { SaeBundle } from '../sae/types.js';
import type { Gpt2Config } from './config.js';
import type { Gpt2 } from './gpt2.js';
import { expectedShapes } from './weights.js';

/** Default model threads: every core, at most this many: each worker's wasm heap grew to 2.9 GiB on GPT-2 small's full forward of 4 × 128 (weights, XNNPACK's packed copies, logits; a heap never shrinks). */
const DEFAULT_MAX_THREADS = 4;

/** Where each parameter lies in the shared buffer. */
export interface WeightLayout {
  names: string[];
  shapes: number[][];
  offsets: number[];
  /** Floats in all parameters. */
  size: number;
}

export interface ModelWorkerInit {
  backend: string;
  config: Gpt2Config;
  label: string;
}

export type ModelWorkerRequest =
  | { op: 'load'; layout: WeightLayout; weights: SharedArrayBuffer }
  | { op: 'activations'; ids: Int32Array; n: number; ctx: number; hook: HookName }
  | { op: 'losses'; ids: Int32Array; n: number; ctx: number }
  | { op: 'loadSaes'; bundles: SaeBundle[] }
  | { op: 'evalBatch'; ids: Int32Array; n: number; ctx: number }
  | { op: 'releaseSaes' }
  | { op: 'memory' };

/** One worker's memory: its wasm heap (weights, activations, freed space it keeps) and the tensors alive in it. */
export interface WorkerMemory {
  heapBytes: number;
  tensorBytes: number;
}

/** What the pool copies: a Gpt2's config and its float32 parameters by HF name. */
export type PoolableModel = Pick<Gpt2, 'config' | 'hostWeights'>;

/**
 * The model threads to use: `requested`, or every core up to DEFAULT_MAX_THREADS. More than one is
 * refused on the tensorflow backends, where TensorFlow already computes on every core (or the GPU);
 * the default there is 1, this thread.
 */
export function resolveModelThreads(requested: number | undefined, what: string): { threads: number; warning?: string } {
  const tensorflow = engineInfo().backend === 'tensorflow';
  if (requested === undefined) return { threads: tensorflow ? 1 : Math.min(availableParallelism(), DEFAULT_MAX_THREADS) };
  if (!Number.isInteger(requested) || requested < 1) throw new Error(`${what}: model threads must be a positive integer, got ${requested}`);
  if (requested > 1 && tensorflow) {
    throw new Error(`${what}: model threads = ${requested}: worker threads exist to use several cores with the single-threaded wasm backend; the tensorflow backend (${engineInfo().package}) already uses them all, so use 1`);
  }
  const cores = availableParallelism();
  return { threads: requested, warning: requested > cores ? `${requested} model threads on ${cores} cores: they will take turns, which is slower than ${cores}` : undefined };
}

export class ModelPool implements GroupRunner, SpliceEvalRunner {
  /** Groups each worker is computing or has queued, to hand the next group to the least busy. */
  private readonly busy: number[];

  private constructor(private readonly workers: Array<WorkerChannel<ModelWorkerRequest>>) {
    this.busy = workers.map(() => 0);
  }

  /** Starts `threads` workers, each holding a copy of `model`'s weights. */
  static async start(model: PoolableModel, threads: number): Promise<ModelPool> {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`model pool: threads must be a positive integer, got ${threads}`);
    const params = model.hostWeights();
    const shapes = expectedShapes(model.config);
    const layout: WeightLayout = { names: [], shapes: [], offsets: [], size: 0 };
    for (const [name, values] of params) {
      layout.names.push(name);
      layout.shapes.push(shapes.get(name)!);
      layout.offsets.push(layout.size);
      layout.size += values.length;
    }
    const workers = Array.from({ length: threads }, (_, i) => {
      const label = `GPT-2 worker ${i + 1} of ${threads}`;
      const init: ModelWorkerInit = { backend: engineInfo().choice, config: model.config, label };
      return new WorkerChannel<ModelWorkerRequest>(new URL('./pool-worker.ts', import.meta.url), init, label);
    });
    try {
      // Filled while the workers start their engines.
      const weights = new SharedArrayBuffer(layout.size * 4);
      const view = new Float32Array(weights);
      layout.names.forEach((name, i) => view.set(params.get(name)!, layout.offsets[i]));
      await Promise.all(workers.map((w) => w.ready));
      await Promise.all(workers.map((w) => w.call({ op: 'load', layout, weights })));
    } catch (err) {
      await Promise.all(workers.map((w) => w.dispose()));
      throw err;
    }
    return new ModelPool(workers);
  }

  get parallelism(): number {
    return this.workers.length;
  }

  /** Sends `request` to the worker with the fewest requests in flight (`transfer`red buffers move there). */
  private async leastBusy<T>(request: ModelWorkerRequest, transfer: ArrayBuffer[]): Promise<T> {
    const w = this.busy.indexOf(Math.min(...this.busy));
    this.busy[w]++;
    try {
      return await this.workers[w].call<T>(request, transfer);
    } finally {
      this.busy[w]--;
    }
  }

  /** The [n, ctx − 1, d] activations at `hook` of `n` windows (`ids`, [n · ctx], transferred to the worker). */
  hookActivations(ids: Int32Array, n: number, ctx: number, hook: HookName): Promise<Float32Array> {
    return this.leastBusy({ op: 'activations', ids, n, ctx, hook }, [ids.buffer as ArrayBuffer]);
  }

  /** Next-token cross-entropy of `n` windows (`ids`, transferred), [n, ctx − 1] nats: the full forward, unembedding included. */
  losses(ids: Int32Array, n: number, ctx: number): Promise<Float32Array> {
    return this.leastBusy({ op: 'losses', ids, n, ctx }, [ids.buffer as ArrayBuffer]);
  }

  /** Gives every worker the SAEs to evaluate (sae/splice-eval.ts), replacing earlier ones. */
  async loadSaes(bundles: SaeBundle[]): Promise<void> {
    await Promise.all(this.workers.map((w) => w.call({ op: 'loadSaes', bundles })));
  }

  /** One evaluation batch of `n` windows (`ids`, transferred) on the loaded SAEs: each SAE's sums. */
  evalBatch(ids: Int32Array, n: number, ctx: number): Promise<BatchEval[]> {
    return this.leastBusy({ op: 'evalBatch', ids, n, ctx }, [ids.buffer as ArrayBuffer]);
  }

  async releaseSaes(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.call({ op: 'releaseSaes' })));
  }

  /** Each worker's memory, in worker order. */
  memory(): Promise<WorkerMemory[]> {
    return Promise.all(this.workers.map((w) => w.call<WorkerMemory>({ op: 'memory' })));
  }

  /** Stops every worker; calls in flight fail with "… was disposed". */
  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.dispose()));
  }
}

/** Runs `fn` with a pool of `threads` workers (none when 1: `fn` gets undefined and computes in this thread), disposing it however `fn` ends. */
export async function withModelPool<T>(model: PoolableModel, threads: number, fn: (pool: ModelPool | undefined) => Promise<T>): Promise<T> {
  if (threads <= 1) return fn(undefined);
  const pool = await ModelPool.start(model, threads);
  try {
    return await fn(pool);
  } finally {
    await pool.dispose();
  }
}
