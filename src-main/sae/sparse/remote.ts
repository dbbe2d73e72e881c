// A latent shard in a worker thread (one tfjs wasm instance per core), behind the ShardHandle
// contract. Messages carry typed arrays; the batch travels once, in a SharedArrayBuffer.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { engineInfo } from '../../engine/backend.js';
import type { SaeTrainConfig } from '../config.js';
import type { LatentSliceState } from '../params.js';
import type { HostCode } from './codes.js';
import type { BatchInput, ShardHandle } from './handle.js';
import type { AdamHyper } from '../adam.js';
import type { BackwardResult, ForwardRequest, ForwardResult } from './shard.js';

/**
 * The worker is TypeScript: the bootstrap registers tsx's ESM loader inside the worker thread (Node 20
 * ignores `--import tsx` in a worker's execArgv), then imports worker.ts. Works under vitest and under
 * bin/sae-explorer.mjs alike. tsx/esm/api is resolved from here, as a file URL, so the worker finds it
 * whatever the current directory.
 */
const TSX_ESM_API = new URL('esm/api/index.mjs', pathToFileURL(createRequire(import.meta.url).resolve('tsx'))).href;
const WORKER_BOOTSTRAP = `
  import(${JSON.stringify(TSX_ESM_API)})
    .then(({ register }) => { register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); });
`;

export interface WorkerInit {
  config: SaeTrainConfig;
  offset: number;
  count: number;
  state: LatentSliceState;
  backend: string;
}

export type WorkerRequest =
  | { op: 'forward'; x: Float32Array; batch: number; request: ForwardRequest }
  | { op: 'decode'; codeSets: HostCode[] }
  | { op: 'backward'; dOutputs: Float32Array[] }
  | { op: 'update'; hyper: AdamHyper; t: number; gradScale: number }
  | { op: 'release' }
  | { op: 'getState' }
  | { op: 'setState'; state: LatentSliceState };

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export async function startWorkerShard(config: SaeTrainConfig, offset: number, count: number, state: LatentSliceState): Promise<ShardHandle> {
  const init: WorkerInit = { config, offset, count, state, backend: engineInfo().choice };
  const worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: init });
  const handle = new WorkerShard(worker, offset, count);
  await handle.ready;
  return handle;
}

class WorkerShard implements ShardHandle {
  readonly ready: Promise<void>;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private failure?: Error;

  constructor(private readonly worker: Worker, readonly offset: number, readonly count: number) {
    this.ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(new Error(`SAE worker for latents ${offset}..${offset + count - 1} failed to start: ${m.error}`))));
      worker.once('error', reject);
    }).then(() => {
      worker.on('message', (reply: WorkerReply) => this.settle(reply));
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`SAE worker for latents ${offset}..${offset + count - 1} exited with code ${code}`)));
  }

  private settle(reply: WorkerReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(new Error(reply.error));
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }

  private call<T>(request: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, ...request }, transfer);
    });
  }

  forward(x: BatchInput, request: ForwardRequest): Promise<ForwardResult> {
    return this.call({ op: 'forward', x: x.host(), batch: x.tensor.shape[0], request });
  }

  decode(codeSets: HostCode[]): Promise<Float32Array[]> {
    return this.call({ op: 'decode', codeSets }, codeSets.flatMap((c) => [c.values.buffer as ArrayBuffer, c.indices.buffer as ArrayBuffer]));
  }

  backward(dOutputs: Float32Array[]): Promise<BackwardResult> {
    return this.call({ op: 'backward', dOutputs });
  }

  update(hyper: AdamHyper, t: number, gradScale: number): Promise<void> {
    return this.call({ op: 'update', hyper, t, gradScale });
  }

  release(): Promise<void> {
    return this.call({ op: 'release' });
  }

  getState(): Promise<LatentSliceState> {
    return this.call({ op: 'getState' });
  }

  setState(state: LatentSliceState): Promise<void> {
    return this.call({ op: 'setState', state });
  }

  async dispose(): Promise<void> {
    this.failure ??= new Error('SAE worker was disposed');
    await this.worker.terminate();
  }
}
