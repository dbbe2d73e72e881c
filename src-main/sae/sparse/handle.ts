// The coordinator's view of a latent shard, in this thread or in a worker thread.
import { tf } from '../../engine/backend.js';
import type { LatentSliceState } from '../params.js';
import type { HostCode } from './codes.js';
import type { AdamHyper } from '../adam.js';
import { LatentShard, type BackwardResult, type ForwardRequest, type ForwardResult } from './shard.js';

/** A batch handed to every shard: the tensor for in-thread shards, a shared host copy for workers. */
export class BatchInput {
  private shared?: Float32Array;
  constructor(readonly tensor: tf.Tensor2D) {}

  /** [batch · dIn] in a SharedArrayBuffer, read from the tensor once however many workers ask. */
  host(): Float32Array {
    if (!this.shared) {
      this.shared = new Float32Array(new SharedArrayBuffer(this.tensor.size * 4));
      this.shared.set(this.tensor.dataSync() as Float32Array);
    }
    return this.shared;
  }
}

export interface ShardHandle {
  readonly offset: number;
  readonly count: number;
  forward(x: BatchInput, request: ForwardRequest): Promise<ForwardResult>;
  decode(codeSets: HostCode[]): Promise<Float32Array[]>;
  backward(dOutputs: Float32Array[]): Promise<BackwardResult>;
  update(hyper: AdamHyper, t: number, gradScale: number): Promise<void>;
  release(): Promise<void>;
  getState(): Promise<LatentSliceState>;
  setState(state: LatentSliceState): Promise<void>;
  dispose(): Promise<void>;
}

export class LocalShardHandle implements ShardHandle {
  constructor(private readonly shard: LatentShard) {}

  get offset(): number {
    return this.shard.offset;
  }

  get count(): number {
    return this.shard.count;
  }

  async forward(x: BatchInput, request: ForwardRequest): Promise<ForwardResult> {
    return this.shard.forward(x.tensor.clone(), request);
  }

  async decode(codeSets: HostCode[]): Promise<Float32Array[]> {
    return this.shard.decode(codeSets);
  }

  async backward(dOutputs: Float32Array[]): Promise<BackwardResult> {
    return this.shard.backward(dOutputs);
  }

  async update(hyper: AdamHyper, t: number, gradScale: number): Promise<void> {
    this.shard.update(hyper, t, gradScale);
  }

  async release(): Promise<void> {
    this.shard.release();
  }

  async getState(): Promise<LatentSliceState> {
    return this.shard.getState();
  }

  async setState(state: LatentSliceState): Promise<void> {
    this.shard.setState(state);
  }

  async dispose(): Promise<void> {
    this.shard.dispose();
  }
}
