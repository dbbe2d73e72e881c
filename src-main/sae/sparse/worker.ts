// Worker-thread side of remote.ts: starts its own tensor engine and serves one LatentShard.
import { workerData } from 'node:worker_threads';
import { initEngine, tf } from '../../engine/backend.js';
import { serveWorker } from '../../engine/worker.js';
import type { WorkerInit, WorkerRequest } from './remote.js';
import { LatentShard } from './shard.js';

const init = workerData as WorkerInit;

await serveWorker<WorkerRequest>(async () => {
  await initEngine(init.backend);
  const shard = new LatentShard(init.config.dIn, init.offset, init.count, init.state);
  return (message) => serve(shard, message);
});

function serve(shard: LatentShard, message: WorkerRequest): unknown {
  switch (message.op) {
    case 'forward':
      return shard.forward(tf.tensor2d(message.x, [message.batch, init.config.dIn]), message.request);
    case 'decode':
      return shard.decode(message.codeSets);
    case 'backward':
      return shard.backward(message.dOutputs);
    case 'update':
      return shard.update(message.hyper, message.t, message.gradScale);
    case 'release':
      return shard.release();
    case 'getState':
      return shard.getState();
    case 'setState':
      return shard.setState(message.state);
  }
}
