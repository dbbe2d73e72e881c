// Logit effects on worker threads: each worker runs its own tensor engine (one wasm instance uses one
// core) with its own copy of the unembedding (vocab × d_model floats, 154 MB for GPT-2 small), and
// takes whole blocks of latents, so N workers compute N blocks at once. The blocks are the same
// LogitKernel's as on the main thread, so the effects are identical.
import { engineInfo, type BackendChoice } from '../engine/backend.js';
import { WorkerChannel } from '../engine/worker.js';
import type { LogitBlock, LogitEffectOptions, LogitRunner } from './logit-effects.js';
import type { Unembedding } from './unembedding.js';

export interface LogitWorkerInit {
  unembedding: Unembedding;
  options: LogitEffectOptions;
  backend: BackendChoice;
}

export interface LogitWorkerRequest {
  dirs: Float32Array;
  rows: number;
}

/** Starts `threads` workers; rejects, naming the worker and why, when one cannot start. */
export async function startLogitPool(unembedding: Unembedding, options: LogitEffectOptions, threads: number, backend: BackendChoice = engineInfo().choice): Promise<LogitRunner> {
  const init: LogitWorkerInit = { unembedding, options, backend };
  const channels = Array.from({ length: threads }, (_, i) => new WorkerChannel<LogitWorkerRequest>(new URL('./logit-worker.ts', import.meta.url), init, `logit-effects worker ${i + 1} of ${threads}`));
  const dispose = async () => {
    await Promise.all(channels.map((c) => c.dispose()));
  };
  try {
    await Promise.all(channels.map((c) => c.ready));
  } catch (err) {
    await dispose();
    throw err;
  }
  // Blocks go to the worker with the fewest in flight, so a slow core does not hold the others up.
  const busy = new Array<number>(threads).fill(0);
  return {
    parallel: threads,
    block: async (dirs, rows) => {
      const w = busy.indexOf(Math.min(...busy));
      busy[w]++;
      try {
        return await channels[w].call<LogitBlock>({ dirs, rows } satisfies LogitWorkerRequest, [dirs.buffer as ArrayBuffer]);
      } finally {
        busy[w]--;
      }
    },
    dispose,
  };
}
