// Worker-thread side of parallel.ts: its own tensor engine and copy of the model; each step loads
// the published parameters and writes its windows' gradients to its shared buffer.
import { workerData } from 'node:worker_threads';
import { initEngine, tf } from '../engine/backend.js';
import { serveWorker } from '../engine/worker.js';
import { lossAndGrads, rowOffsets, rowOffsetValues } from './loss.js';
import { OnnxLoss } from './onnx-loss.js';
import type { LmWorkerInit, LmWorkerStep } from './parallel.js';
import { compactRows, TrainableGpt2, type HostTensors } from './params.js';

const init = workerData as LmWorkerInit;

await serveWorker<LmWorkerStep>(async () => {
  await initEngine(init.backend);
  const { names, shapes, offsets, sizes } = init.layout;
  const shared = new Float32Array(init.params);
  const version = new Int32Array(init.version);
  const grads = new Float32Array(init.grads);
  const view = (i: number) => shared.subarray(offsets[i], offsets[i] + sizes[i]);
  // Zeros until the first step publishes the parameters.
  const model = TrainableGpt2.fromCompact(init.model, init.vocab, new Map(names.map((name, i) => [name, { shape: shapes[i], data: new Float32Array(sizes[i]) }])) as HostTensors);
  model.attention = init.attention;
  const rowOffsetsTensor = rowOffsets(compactRows(init.vocab), init.vocab.absent);
  if (init.onnxLoss) {
    const { rows, threads } = init.onnxLoss;
    model.onnxLoss = await OnnxLoss.start({ dModel: init.model.nEmbd, offsets: rowOffsetValues(compactRows(init.vocab), init.vocab.absent), maxRows: rows, threads });
  }

  return (step) => {
    // The atomic load pairs with the publisher's atomic add: the parameters written before it are visible.
    const published = Atomics.load(version, 0);
    if (published !== step.version) throw new Error(`LM worker: step for parameters version ${step.version}, but version ${published} is published`);
    names.forEach((name, i) => tf.tidy(() => model.params.get(name)!.assign(tf.tensor(view(i), shapes[i], 'float32'))));
    const ctx = step.inputs.length / step.windows;
    const inputs = tf.tensor2d(step.inputs, [step.windows, ctx], 'int32');
    const targets = tf.tensor1d(step.targets, 'int32');
    try {
      const { loss, grads: byName } = lossAndGrads(model, inputs, targets, rowOffsetsTensor, step.divisor);
      const value = loss.dataSync()[0];
      names.forEach((name, i) => grads.set(byName.get(name)!.dataSync() as Float32Array, offsets[i]));
      tf.dispose([loss, ...byName.values()]);
      return value;
    } finally {
      tf.dispose([inputs, targets]);
    }
  };
});
