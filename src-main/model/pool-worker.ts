// Worker-thread side of pool.ts: its own tensor engine and copy of the GPT-2, loaded once from the
// shared weights; then the activations of one group of windows per request.
import { workerData } from 'node:worker_threads';
import type { HookName } from '../../src-shared/hooks.js';
import { initEngine, tf } from '../engine/backend.js';
import { serveWorker } from '../engine/worker.js';
import { hookActivations, hookWidth } from '../data/activations.js';
import { Gpt2 } from './gpt2.js';
import type { ModelWorkerInit, ModelWorkerRequest, WeightLayout, WorkerMemory } from './pool.js';
import { hostTensorSource, weightsFromSource } from './weights.js';
import { createSaeRunner, type SaeRunner } from '../sae/inference.js';
import { evalBatch, type BatchEval } from '../sae/splice-eval.js';
import type { SaeBundle } from '../sae/types.js';

const init = workerData as ModelWorkerInit;

await serveWorker<ModelWorkerRequest>(async () => {
  await initEngine(init.backend);
  let model: Gpt2 | undefined;

  const load = (layout: WeightLayout, weights: SharedArrayBuffer): void => {
    if (model) throw new Error(`${init.label}: the model is already loaded`);
    const shared = new Float32Array(weights);
    const tensors = new Map(layout.names.map((name, i) => {
      const size = layout.shapes[i].reduce((a, b) => a * b, 1);
      return [name, { shape: layout.shapes[i], data: shared.subarray(layout.offsets[i], layout.offsets[i] + size) }];
    }));
    // Checked against the config as a model folder is; tf.tensor copies each view into this instance's heap.
    model = new Gpt2(init.config, weightsFromSource(init.config, hostTensorSource(tensors), `${init.label}'s weights`));
  };

  const activations = (ids: Int32Array, n: number, ctx: number, hook: HookName): Float32Array => {
    if (!model) throw new Error(`${init.label}: asked for activations before the model was loaded`);
    const acts = hookActivations(model, ids, n, ctx, hook, hookWidth(hook, model.config)); // [n, ctx − 1, d]
    try {
      return acts.dataSync() as Float32Array;
    } finally {
      acts.dispose();
    }
  };

  const losses = (ids: Int32Array, n: number, ctx: number): Float32Array => {
    if (!model) throw new Error(`${init.label}: asked for losses before the model was loaded`);
    const loaded = model;
    const perToken = tf.tidy(() => loaded.lossPerToken(tf.tensor2d(ids, [n, ctx], 'int32'))); // [n, ctx − 1]
    try {
      return perToken.dataSync() as Float32Array;
    } finally {
      perToken.dispose();
    }
  };

  let saes: { runners: SaeRunner[]; hook: HookName; dIn: number } | undefined;
  const releaseSaes = (): void => {
    for (const r of saes?.runners ?? []) r.dispose();
    saes = undefined;
  };
  const loadSaes = (bundles: SaeBundle[]): void => {
    releaseSaes();
    const runners: SaeRunner[] = [];
    try {
      for (const b of bundles) runners.push(createSaeRunner(b));
    } catch (err) {
      for (const r of runners) r.dispose();
      throw err;
    }
    saes = { runners, hook: bundles[0].spec.hookName as HookName, dIn: bundles[0].spec.dIn };
  };
  const evaluate = (ids: Int32Array, n: number, ctx: number): Promise<BatchEval[]> => {
    if (!model || !saes) throw new Error(`${init.label}: asked to evaluate before the model and SAEs were loaded`);
    return evalBatch(model, saes.runners, saes.hook, ids, n, ctx, saes.dIn);
  };

  const memory = (): WorkerMemory => {
    const wasm = (tf.backend() as { wasm?: { HEAPU8: Uint8Array } }).wasm;
    return { heapBytes: wasm ? wasm.HEAPU8.buffer.byteLength : 0, tensorBytes: tf.memory().numBytes };
  };

  return (request) => {
    switch (request.op) {
      case 'load':
        return load(request.layout, request.weights);
      case 'activations':
        return activations(request.ids, request.n, request.ctx, request.hook);
      case 'losses':
        return losses(request.ids, request.n, request.ctx);
      case 'loadSaes':
        return loadSaes(request.bundles);
      case 'evalBatch':
        return evaluate(request.ids, request.n, request.ctx);
      case 'releaseSaes':
        return releaseSaes();
      case 'memory':
        return memory();
    }
  };
});
