// A latent shard in a worker thread (one tfjs wasm instance per core), behind the ShardHandle
// contract. Messages carry typed arrays; the batch travels once, in a SharedArrayBuffer.
import { engineInfo } from '../../engine/backend.js';
import { WorkerChannel } from '../../engine/worker.js';
import type { SaeTrainConfig } from '../config.js';
import type { LatentSliceState } from '../params.js';
import type { HostCode } from './codes.js';
import type { BatchInput, ShardHandle } from './handle.js';
import type { AdamHyper } from '../adam.js';
import type { BackwardResult, ForwardRequest, ForwardResult } from './shard.js';

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

export async function startWorkerShard(config: SaeTrainConfig, offset: number, count: number, state: LatentSliceState): Promise<ShardHandle> {
  const init: WorkerInit = { config, offset, count, state, backend: engineInfo().choice };
  const channel = new WorkerChannel<WorkerRequest>(new URL('./worker.ts', import.meta.url), init, `SAE worker for latents ${offset}..${offset + count - 1}`);
  await channel.ready.catch(async (err) => {
    await channel.dispose();
    throw err;
  });
  return new WorkerShard(channel, offset, count);
}

class WorkerShard implements ShardHandle {
  constructor(private readonly channel: WorkerChannel<WorkerRequest>, readonly offset: number, readonly count: number) {}

  forward(x: BatchInput, request: ForwardRequest): Promise<ForwardResult> {
    return this.channel.call({ op: 'forward', x: x.host(), batch: x.tensor.shape[0], request });
  }

  decode(codeSets: HostCode[]): Promise<Float32Array[]> {
    return this.channel.call({ op: 'decode', codeSets }, codeSets.flatMap((c) => [c.values.buffer as ArrayBuffer, c.indices.buffer as ArrayBuffer]));
  }

  backward(dOutputs: Float32Array[]): Promise<BackwardResult> {
    return this.channel.call({ op: 'backward', dOutputs });
  }

  update(hyper: AdamHyper, t: number, gradScale: number): Promise<void> {
    return this.channel.call({ op: 'update', hyper, t, gradScale });
  }

  release(): Promise<void> {
    return this.channel.call({ op: 'release' });
  }

  getState(): Promise<LatentSliceState> {
    return this.channel.call({ op: 'getState' });
  }

  setState(state: LatentSliceState): Promise<void> {
    return this.channel.call({ op: 'setState', state });
  }

  dispose(): Promise<void> {
    return this.channel.dispose();
  }
}
