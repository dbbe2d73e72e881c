// Worker-thread side of logit-pool.ts: its own tensor engine and copy of the unembedding.
import { workerData } from 'node:worker_threads';
import { initEngine } from '../engine/backend.js';
import { serveWorker } from '../engine/worker.js';
import { LogitKernel } from './logit-effects.js';
import type { LogitWorkerInit, LogitWorkerRequest } from './logit-pool.js';

const init = workerData as LogitWorkerInit;

await serveWorker<LogitWorkerRequest>(async () => {
  await initEngine(init.backend);
  const kernel = new LogitKernel(init.unembedding, init.options);
  return (request) => kernel.block(request.dirs, request.rows);
});
