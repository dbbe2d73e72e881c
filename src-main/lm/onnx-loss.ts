// The training loss's unembedding and cross-entropy on ONNX Runtime. With a 50,257-token softmax they
// are ~85% of a small GPT-2's training FLOPs, and tfjs-wasm's matMul runs at 15–23 GFLOP/s on one
// thread while MLAS runs the same products ~8× faster (2,048 rows × 50,257: 0.46 s against 3.8 s here;
// docs/benchmarks.md). The rest of the step (the blocks, their gradients, AdamW) stays on tfjs.
//
// tfjs computes gradients synchronously (tf.customGrad's forward must return its value), while
// ONNX Runtime's run is asynchronous. So the session lives in a worker thread (onnx-loss-worker.ts)
// and `compute` blocks on Atomics.wait until the worker has written the results into shared memory:
// a synchronous call across threads, which tfjs's tape sees as an ordinary kernel.
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { startTsWorker } from '../engine/worker.js';

/** How long `compute` waits for the worker before it gives up (a stuck or dead worker). */
const TIMEOUT_MS = 10 * 60 * 1000;
/** Control words: [requests sent, replies written]. */
const SENT = 0;
const DONE = 1;

export interface OnnxLossInit {
  dModel: number;
  /** Logit offset of each compact row (loss.ts rowOffsets); their count is the table's rows. */
  offsets: Float32Array;
  /** The most rows one call passes. */
  maxRows: number;
  /** ONNX Runtime's intra-op threads. */
  threads: number;
}

/** What the worker receives: the shapes and the shared buffers both sides read and write. */
export interface OnnxLossWorkerData extends OnnxLossInit {
  control: SharedArrayBuffer;
  x: SharedArrayBuffer;
  table: SharedArrayBuffer;
  targets: SharedArrayBuffer;
  dx: SharedArrayBuffer;
  dTable: SharedArrayBuffer;
  port: MessagePort;
}

export interface OnnxLossRequest {
  rows: number;
  withGrad: boolean;
}

export type OnnxLossReply = { ok: true; sum: number } | { ok: false; error: string };

export interface OnnxLossResult {
  /** Σ over the rows of −log p(target). */
  sum: number;
  /** [rows, d_model] and [table rows, d_model], views of shared memory valid until the next call. */
  dx?: Float32Array;
  dTable?: Float32Array;
}

/** ONNX Runtime's threads for one of `callers` loss workers computing at the same time. */
export function onnxLossThreads(callers: number): number {
  return Math.max(1, Math.floor(availableParallelism() / callers));
}

export class OnnxLoss {
  private readonly control: Int32Array;
  private readonly x: Float32Array;
  private readonly table: Float32Array;
  private readonly targets: Int32Array;
  private readonly dx: Float32Array;
  private readonly dTable: Float32Array;
  private failure?: Error;

  private constructor(
    private readonly init: OnnxLossInit,
    private readonly worker: Worker,
    private readonly port: MessagePort,
    shared: OnnxLossWorkerData,
  ) {
    this.control = new Int32Array(shared.control);
    this.x = new Float32Array(shared.x);
    this.table = new Float32Array(shared.table);
    this.targets = new Int32Array(shared.targets);
    this.dx = new Float32Array(shared.dx);
    this.dTable = new Float32Array(shared.dTable);
    worker.on('error', (err) => (this.failure ??= err));
    worker.on('exit', (code) => (this.failure ??= new Error(`the ONNX Runtime loss worker exited with code ${code}`)));
  }

  /** Starts the worker and its sessions; rejects with ONNX Runtime's own error if it cannot. */
  static async start(init: OnnxLossInit): Promise<OnnxLoss> {
    const rows = init.offsets.length;
    const floats = (n: number) => new SharedArrayBuffer(n * 4);
    const { port1, port2 } = new MessageChannel();
    const shared: OnnxLossWorkerData = {
      ...init,
      control: new SharedArrayBuffer(8),
      x: floats(init.maxRows * init.dModel),
      table: floats(rows * init.dModel),
      targets: floats(init.maxRows),
      dx: floats(init.maxRows * init.dModel),
      dTable: floats(rows * init.dModel),
      port: port2,
    };
    const worker = startTsWorker(new URL('./onnx-loss-worker.ts', import.meta.url), shared, [port2]);
    try {
      await new Promise<void>((resolve, reject) => {
        worker.once('message', (m: { ready: boolean; error?: string }) => (m.ready ? resolve() : reject(new Error(`the ONNX Runtime loss worker failed to start: ${m.error}`))));
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`the ONNX Runtime loss worker exited with code ${code} while starting`)));
      });
    } catch (err) {
      port1.close();
      await worker.terminate();
      throw err;
    }
    worker.removeAllListeners();
    return new OnnxLoss(init, worker, port1, shared);
  }

  /**
   * The loss sum of `rows` rows of x [rows, d_model] (row-major) against compact `targets`, with
   * `table` [table rows, d_model], and with `withGrad` its gradients. Blocks until they are computed.
   */
  compute(x: Float32Array, table: Float32Array, targets: Int32Array, withGrad: boolean): OnnxLossResult {
    if (this.failure) throw this.failure;
    const { dModel, maxRows } = this.init;
    const rows = targets.length;
    if (rows > maxRows || x.length !== rows * dModel) throw new Error(`ONNX loss: ${rows} rows of ${x.length / rows} features; this worker takes at most ${maxRows} rows of ${dModel}`);
    if (table.length !== this.table.length) throw new Error(`ONNX loss: a table of ${table.length / dModel} rows; this worker was built for ${this.table.length / dModel}`);
    this.x.set(x);
    this.table.set(table);
    this.targets.set(targets);
    const done = Atomics.load(this.control, DONE);
    Atomics.add(this.control, SENT, 1);
    this.port.postMessage({ rows, withGrad } satisfies OnnxLossRequest);
    const deadline = performance.now() + TIMEOUT_MS;
    while (Atomics.load(this.control, DONE) === done) {
      if (performance.now() > deadline) throw (this.failure = new Error(`the ONNX Runtime loss worker did not answer within ${TIMEOUT_MS / 1000} s`));
      Atomics.wait(this.control, DONE, done, 1000);
    }
    const reply = receiveMessageOnPort(this.port)?.message as OnnxLossReply | undefined;
    if (!reply) throw (this.failure = new Error('the ONNX Runtime loss worker signalled a result but sent none'));
    if (!reply.ok) throw new Error(`ONNX Runtime loss: ${reply.error}`);
    return withGrad ? { sum: reply.sum, dx: this.dx.subarray(0, rows * dModel), dTable: this.dTable } : { sum: reply.sum };
  }

  async dispose(): Promise<void> {
    this.failure ??= new Error('the ONNX Runtime loss worker was disposed');
    this.port.close();
    await this.worker.terminate();
  }
}
