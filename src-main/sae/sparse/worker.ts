// Worker-thread side of remote.ts: starts its own tensor engine and serves one LatentShard.
import { parentPort, workerData } from 'node:worker_threads';
import { initEngine, tf } from '../../engine/backend.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './remote.js';
import { LatentShard } from './shard.js';

const port = parentPort!;
const init = workerData as WorkerInit;

try {
  await initEngine(init.backend);
  const shard = new LatentShard(init.config.dIn, init.offset, init.count, init.state);
  port.on('message', (message: WorkerRequest & { id: number }) => {
    let reply: WorkerReply;
    try {
      reply = { id: message.id, ok: true, value: serve(shard, message) };
    } catch (err) {
      reply = { id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ ready: false, error: err instanceof Error ? err.message : String(err) });
}

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
