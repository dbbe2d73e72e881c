import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../../src-main/engine/backend.js';
import { validateLmTrainConfig } from '../../../src-main/lm/config.js';
import type { LmTrainEvent } from '../../../src-main/lm/events.js';
import { LM_TRAINING_FILE, trainLm } from '../../../src-main/lm/trainer.js';
import { openSafetensors } from '../../../src-main/io/safetensors.js';
import { lmConfig, tempOut } from './fixture.js';

beforeAll(async () => {
  await initEngine();
});

function tensorsOf(dir: string): Map<string, Float32Array> {
  const st = openSafetensors(join(dir, 'model.safetensors'));
  return new Map(st.names().map((name) => [name, st.getFloat32(name)]));
}

/** The largest absolute difference between the weights of two trained folders. */
function largestDifference(dirA: string, dirB: string): number {
  const b = tensorsOf(dirB);
  let largest = 0;
  for (const [name, values] of tensorsOf(dirA)) {
    const other = b.get(name)!;
    for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i] - other[i]));
  }
  return largest;
}

/** 2 layers, 8 windows a step (odd shards with 3 threads), every step reported. */
const RUN = { layers: 2, batch: 8, tokens: 8 * 8 * 16, logEvery: 1, evalEvery: 0, checkpointEvery: 0 };

async function losses(out: string, overrides: Record<string, unknown>, signal?: AbortSignal, stopAt?: () => void): Promise<{ losses: number[]; norms: number[]; logs: string[] }> {
  const seen = { losses: [] as number[], norms: [] as number[], logs: [] as string[] };
  await trainLm(lmConfig(out, { ...RUN, ...overrides }), {
    signal,
    onEvent: (e: LmTrainEvent) => {
      if (e.type === 'progress') {
        seen.losses.push(e.loss);
        seen.norms.push(e.gradNorm);
        if (e.step === 4) stopAt?.();
      } else if (e.type === 'log') seen.logs.push(e.message);
    },
  });
  return seen;
}

describe('lm train on worker threads', () => {
  it('follows the single-thread run to float rounding, with 2 and with 3 threads (uneven shards)', async () => {
    const one = tempOut();
    const single = await losses(one, {});
    for (const threads of [2, 3]) {
      const out = tempOut();
      const parallel = await losses(out, { threads });
      expect(parallel.logs.some((m) => m.includes(`on ${threads} worker threads`))).toBe(true);
      console.log(`threads ${threads}: loss`, parallel.losses.map((l, i) => (l - single.losses[i]).toExponential(1)).join(' '));
      expect(parallel.losses).toHaveLength(8);
      parallel.losses.forEach((l, i) => expect(l, `loss at step ${i + 1}`).toBeCloseTo(single.losses[i], 4));
      parallel.norms.forEach((n, i) => expect(n, `grad norm at step ${i + 1}`).toBeCloseTo(single.norms[i], 3));
      const largest = largestDifference(one, out);
      console.log(`threads ${threads}: largest parameter difference after 8 steps`, largest);
      expect(largest).toBeLessThan(1e-4);
      expect(largest).toBeGreaterThan(0);
    }
  });

  it('resumes on 2 threads to bitwise the same weights as an uninterrupted 2-thread run', async () => {
    const straight = tempOut();
    const before = tf.memory();
    await losses(straight, { threads: 2 });
    // The summed gradients made in this thread each step are freed like the single-thread ones.
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    const interrupted = tempOut();
    const stop = new AbortController();
    const first = await losses(interrupted, { threads: 2, checkpointEvery: 2 }, stop.signal, () => stop.abort());
    expect(first.losses).toHaveLength(4);
    const rest = await losses(interrupted, { threads: 2, resume: true });
    expect(rest.logs.some((m) => /resumed .* at step 4 of 8/.test(m))).toBe(true);
    const a = tensorsOf(straight);
    const b = tensorsOf(interrupted);
    for (const [name, values] of a) expect(Buffer.from(b.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    const record = (dir: string) => JSON.parse(readFileSync(join(dir, LM_TRAINING_FILE), 'utf8'));
    expect(record(interrupted).result.heldOutLoss).toBe(record(straight).result.heldOutLoss);
  });

  it('continues a checkpoint on another number of threads, saying the weights will differ by rounding', async () => {
    const out = tempOut();
    const stop = new AbortController();
    await losses(out, { checkpointEvery: 2 }, stop.signal, () => stop.abort());
    const rest = await losses(out, { threads: 2, resume: true });
    expect(rest.losses).toHaveLength(4);
    expect(rest.logs.some((m) => /trained on 1 thread\(s\) and continues on 2/.test(m))).toBe(true);
  });

  it('with attention "kernel" follows the "ops" run to float rounding, in this thread and on 2 worker threads', async () => {
    for (const threads of [1, 2]) {
      const [opsOut, kernelOut] = [tempOut(), tempOut()];
      const ops = await losses(opsOut, { threads, attention: 'ops' });
      const kernel = await losses(kernelOut, { threads, attention: 'kernel' });
      kernel.losses.forEach((l, i) => expect(l, `loss at step ${i + 1}, threads ${threads}`).toBeCloseTo(ops.losses[i], 4));
      const largest = largestDifference(opsOut, kernelOut);
      console.log(`attention kernel against ops, threads ${threads}: largest parameter difference after 8 steps`, largest);
      expect(largest).toBeLessThan(1e-4);
      // The kernel rounds differently from the ops, so a difference shows it ran (it exists only on wasm).
      expect(largest > 0).toBe(tf.getBackend() === 'wasm');
    }
    expect(() => validateLmTrainConfig({ out: 'x', tokens: 100, attention: 'fast' })).toThrow(/"attention" = "fast" is invalid; expected "kernel" or "ops"/);
  });

  it('with the loss on ONNX Runtime follows the tfjs run to float rounding, in this thread and on 2 worker threads, and repeats its bytes', async () => {
    for (const threads of [1, 2]) {
      const [tfjsOut, onnxOut, againOut] = [tempOut(), tempOut(), tempOut()];
      const tfjsRun = await losses(tfjsOut, { threads, lossRuntime: 'tfjs' });
      const onnxRun = await losses(onnxOut, { threads, lossRuntime: 'onnx' });
      await losses(againOut, { threads, lossRuntime: 'onnx' });
      expect(onnxRun.logs.some((m) => m.includes('on ONNX Runtime'))).toBe(true);
      expect(tfjsRun.logs.some((m) => m.includes('on tfjs'))).toBe(true);
      onnxRun.losses.forEach((l, i) => expect(l, `loss at step ${i + 1}, threads ${threads}`).toBeCloseTo(tfjsRun.losses[i], 4));
      const largest = largestDifference(tfjsOut, onnxOut);
      console.log(`loss on ONNX Runtime against tfjs, threads ${threads}: largest parameter difference after 8 steps`, largest);
      expect(largest).toBeLessThan(1e-4);
      expect(largest).toBeGreaterThan(0);
      expect(readFileSync(join(againOut, 'model.safetensors')).equals(readFileSync(join(onnxOut, 'model.safetensors')))).toBe(true);
    }
    expect(() => validateLmTrainConfig({ out: 'x', tokens: 100, lossRuntime: 'gpu' })).toThrow(/"lossRuntime" = "gpu" is invalid; expected "auto", "onnx" or "tfjs"/);
  });

  it('refuses more threads than windows in a batch', () => {
    expect(() => validateLmTrainConfig({ out: 'x', tokens: 100, batch: 4, threads: 5 })).toThrow(/"threads" = 5 is invalid; expected an integer from 1 to 4 \(each thread takes at least one of the batch's 4 windows/);
    expect(() => validateLmTrainConfig({ out: 'x', tokens: 100, threads: 0 })).toThrow(/"threads" = 0 is invalid; expected an integer ≥ 1/);
  });
});
