// Worker threads that compute with their own tensor engine: tfjs on wasm runs on one thread per
// instance, so a worker with its own instance is how a job uses another core. Both sides of the
// request/reply channel live here; the SAE's latent shards and the LM's data-parallel workers use it.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parentPort, Worker } from 'node:worker_threads';

/**
 * Workers are TypeScript: the bootstrap registers tsx's ESM loader inside the worker thread (Node 20
 * ignores `--import tsx` in a worker's execArgv), then imports the module. Works under vitest and under
 * bin/sae-explorer.mjs alike. tsx/esm/api is resolved from here, as a file URL, so the worker finds it
 * whatever the current directory.
 */
const TSX_ESM_API = new URL('esm/api/index.mjs', pathToFileURL(createRequire(import.meta.url).resolve('tsx'))).href;

/** Starts TypeScript module `module` (a .ts file URL) in a worker thread. */
export function startTsWorker(module: URL, workerData: unknown, transferList: Transferable[] = []): Worker {
  const bootstrap = `
    import(${JSON.stringify(TSX_ESM_API)})
      .then(({ register }) => { register(); return import(${JSON.stringify(module.href)}); });
  `;
  return new Worker(bootstrap, { eval: true, workerData, transferList: transferList as never });
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
type Ready = { ready: true } | { ready: false; error: string };

/** The parent's end: requests go out with an id, replies settle them; a dead worker fails them all. */
export class WorkerChannel<Request extends object> {
  readonly ready: Promise<void>;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private failure?: Error;
  private readonly worker: Worker;

  /** Starts `module` (a .ts file URL) in a worker thread; `label` names it in errors ("SAE worker for latents 0..9"). */
  constructor(module: URL, workerData: unknown, private readonly label: string) {
    const worker = startTsWorker(module, workerData);
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (m: Ready) => (m.ready ? resolve() : reject(new Error(`${label} failed to start: ${m.error}`))));
      worker.once('error', reject);
    }).then(() => {
      worker.on('message', (reply: Reply) => this.settle(reply));
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`${label} exited with code ${code}`)));
  }

  private settle(reply: Reply): void {
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

  call<T>(request: Request, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, ...request }, transfer);
    });
  }

  async dispose(): Promise<void> {
    this.failure ??= new Error(`${this.label} was disposed`);
    await this.worker.terminate();
  }
}

/**
 * The worker's end: `start` builds the worker's state (its engine first), and the handler it returns
 * answers every request (a promise is awaited); errors go back to the caller as messages instead of
 * killing the thread.
 */
export async function serveWorker<Request extends object>(start: () => Promise<(request: Request) => unknown>): Promise<void> {
  const port = parentPort!;
  let handle: (request: Request) => unknown;
  try {
    handle = await start();
  } catch (err) {
    port.postMessage({ ready: false, error: err instanceof Error ? err.message : String(err) } satisfies Ready);
    return;
  }
  port.on('message', async (message: Request & { id: number }) => {
    let reply: Reply;
    try {
      reply = { id: message.id, ok: true, value: await handle(message) };
    } catch (err) {
      reply = { id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true } satisfies Ready);
}
