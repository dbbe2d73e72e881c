import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend.js';
import { trainFamily } from '../../../src-main/train/trainer.js';
import { runConfig, saeWeights, tempOut, tinyModel } from './fixture.js';

// The activations on tfjs, where the pool computes them (ONNX Runtime would take them otherwise),
// except in the test of the ONNX Runtime case.
const runtime = process.env.SAE_GPT2_RUNTIME;
beforeAll(async () => {
  await initEngine('wasm');
  process.env.SAE_GPT2_RUNTIME = 'tfjs';
});
afterAll(() => {
  if (runtime === undefined) delete process.env.SAE_GPT2_RUNTIME;
  else process.env.SAE_GPT2_RUNTIME = runtime;
});

describe('trainFamily on model threads', () => {
  it('trains the same weights and evals with GPT-2 on 2 worker threads as in this thread', async () => {
    const model = await tinyModel();
    try {
      const run = async (modelThreads: number) => {
        const out = tempOut();
        const logs: string[] = [];
        // modelBatch 2 makes each fill several groups, so both workers compute every fill.
        const result = await trainFamily(runConfig(out, { latents: [64, 128], modelThreads, modelBatch: 2 }), { model, onEvent: (e) => void (e.type === 'log' && logs.push(e.message)) });
        return { out, logs, result };
      };
      const one = await run(1);
      const two = await run(2);
      expect(two.logs.some((m) => m.includes('GPT-2 runs on 2 worker threads'))).toBe(true);
      expect(one.logs.some((m) => m.includes('worker threads'))).toBe(false);
      for (const size of [64, 128]) {
        const a = saeWeights(join(one.out, String(size)));
        const b = saeWeights(join(two.out, String(size)));
        for (const name of Object.keys(a)) expect(Buffer.from(b[name].buffer).equals(Buffer.from(a[name].buffer)), `${size}/${name}`).toBe(true);
        const evalJson = (dir: string) => JSON.parse(readFileSync(join(dir, String(size), 'eval.json'), 'utf8'));
        expect(evalJson(two.out)).toEqual(evalJson(one.out));
      }
      expect(two.result.results.map((r) => r.trainFvu)).toEqual(one.result.results.map((r) => r.trainFvu));
    } finally {
      model.dispose();
    }
  });

  it('with the activations on ONNX Runtime, starts the worker threads only for the final evals', async () => {
    process.env.SAE_GPT2_RUNTIME = 'onnx';
    const model = await tinyModel();
    try {
      const events: string[] = [];
      await trainFamily(runConfig(tempOut(), { latents: [64], modelThreads: 2, modelBatch: 2 }), {
        model,
        onEvent: (e) => void ((e.type === 'log' || e.type === 'progress') && events.push(e.type === 'log' ? e.message : 'progress')),
      });
      const started = events.findIndex((m) => m.includes("GPT-2's evals run on 2 worker threads (model threads); its activations ran on ONNX Runtime"));
      expect(started).toBeGreaterThan(events.lastIndexOf('progress'));
      expect(events.some((m) => m.includes('GPT-2 runs on 2 worker threads'))).toBe(false);
    } finally {
      model.dispose();
      process.env.SAE_GPT2_RUNTIME = 'tfjs';
    }
  });

  it('refuses a model thread count that is not a positive integer, naming the field', async () => {
    await expect(trainFamily(runConfig(tempOut(), { modelThreads: 0 }))).rejects.toThrow(/"modelThreads" = 0 is invalid; expected an integer in \[1, 64\]/);
  });
});
