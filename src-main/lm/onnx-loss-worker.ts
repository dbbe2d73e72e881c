// Worker-thread side of onnx-loss.ts: two sessions of lossGraph (with and without gradients); each
// request reads the shared inputs, runs one, writes the gradients to shared memory, posts the sum and
// then bumps the DONE word the caller is blocked on.
import type * as Ort from 'onnxruntime-node';
import { parentPort, workerData } from 'node:worker_threads';
import { loadOnnxRuntime } from '../engine/onnx.js';
import { lossGraph } from './onnx-loss-graph.js';
import type { OnnxLossReply, OnnxLossRequest, OnnxLossWorkerData } from './onnx-loss.js';

const DONE = 1;
const data = workerData as OnnxLossWorkerData;

async function start(): Promise<(request: OnnxLossRequest) => Promise<number>> {
  const loaded = loadOnnxRuntime();
  if (!('runtime' in loaded)) throw new Error(loaded.error);
  const ort = loaded.runtime;
  const options: Ort.InferenceSession.SessionOptions = { intraOpNumThreads: data.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' };
  const [withGrad, lossOnly] = await Promise.all([true, false].map((grad) => ort.InferenceSession.create(lossGraph(data.dModel, data.offsets, grad), options)));
  const d = data.dModel;
  const tableRows = data.offsets.length;
  // ONNX Runtime copies its inputs; plain arrays, because it does not take views of shared memory.
  const table = new Float32Array(tableRows * d);
  const x = new Float32Array(data.maxRows * d);
  const targets = new Int32Array(data.maxRows);
  const shared = { x: new Float32Array(data.x), table: new Float32Array(data.table), targets: new Int32Array(data.targets), dx: new Float32Array(data.dx), dTable: new Float32Array(data.dTable) };
  return async ({ rows, withGrad: grad }) => {
    x.set(shared.x.subarray(0, rows * d));
    table.set(shared.table);
    targets.set(shared.targets.subarray(0, rows));
    const feeds = {
      x: new ort.Tensor('float32', x.subarray(0, rows * d), [rows, d]),
      table: new ort.Tensor('float32', table, [tableRows, d]),
      targets: new ort.Tensor('int32', targets.subarray(0, rows), [rows]),
    };
    const out = await (grad ? withGrad : lossOnly).run(feeds);
    if (grad) {
      shared.dx.set(out.dx!.data as Float32Array);
      shared.dTable.set(out.dtable!.data as Float32Array);
    }
    return (out.sum!.data as Float32Array)[0];
  };
}

const control = new Int32Array(data.control);
try {
  const handle = await start();
  data.port.on('message', async (request: OnnxLossRequest) => {
    let reply: OnnxLossReply;
    try {
      reply = { ok: true, sum: await handle(request) };
    } catch (err) {
      reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    data.port.postMessage(reply);
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  });
  parentPort!.postMessage({ ready: true });
} catch (err) {
  parentPort!.postMessage({ ready: false, error: err instanceof Error ? err.message : String(err) });
}
