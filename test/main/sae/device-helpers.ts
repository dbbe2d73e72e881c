// Shared by the tests of the steps that stay on the device off wasm: tfjs's pure-JS 'cpu' backend
// (no wasm kernels, as tfjs-node) stands in for TensorFlow, and every device → host read is counted.
import { expect, vi } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import type { StepResult, TrainableSae } from '../../../src-main/sae/index.js';
import { readSteps } from '../../../src-main/sae/pending.js';

/** Counts every device → host transfer: Tensor.dataSync/data/array… all go through the engine's readSync/read. */
export function countHostReads(): { count: () => number } {
  const engine = tf.engine();
  const syncSpy = vi.spyOn(engine, 'readSync');
  const asyncSpy = vi.spyOn(engine, 'read');
  return { count: () => syncSpy.mock.calls.length + asyncSpy.mock.calls.length };
}

export async function onBackend<T>(backend: string, run: () => Promise<T>): Promise<T> {
  const before = tf.getBackend();
  await tf.setBackend(backend);
  try {
    return await run();
  } finally {
    await tf.setBackend(before);
  }
}

/** `steps` batches [batch, dIn] of N(0.2, 1) values, seeded. */
export function batches(steps: number, batch: number, dIn: number): tf.Tensor2D[] {
  return Array.from({ length: steps }, (_, i) => tf.tidy(() => tf.randomNormal([batch, dIn], 0, 1, 'float32', 100 + i).add(0.2) as tf.Tensor2D));
}

/** Steps `sae` on `xs`: each step read at once (`step`), or all deferred and read together. */
export async function train(sae: TrainableSae, xs: tf.Tensor2D[], deferred: boolean): Promise<StepResult[]> {
  if (!deferred) {
    const results: StepResult[] = [];
    for (const x of xs) results.push(await sae.step(x));
    return results;
  }
  const pending = [];
  for (const x of xs) pending.push(await sae.stepDeferred!(x));
  return readSteps(pending);
}

/** Deferred steps of `sae` on `xs` that read nothing back while stepping, then one batched read of all their metrics. */
export async function trainReadingOnce(sae: TrainableSae, xs: tf.Tensor2D[]): Promise<StepResult[]> {
  const reads = countHostReads();
  const pending = [];
  for (const x of xs) pending.push(await sae.stepDeferred!(x));
  expect(reads.count()).toBe(0);
  const results = await readSteps(pending);
  expect(reads.count()).toBe(1);
  vi.restoreAllMocks();
  return results;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
