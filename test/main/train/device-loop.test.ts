// The training loop off wasm (tfjs-node, CUDA; tfjs's 'cpu' backend takes the same path here): the
// SAE steps' metrics stay on the device and are read once per progress report, not per step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import type { TrainEvent } from '../../../src-main/train/events.js';
import { FAMILY_FILE, trainFamily } from '../../../src-main/train/trainer.js';
import { maxAbsDiff, runConfig, saeWeights, tempOut, tinyModel } from './fixture.js';

describe('the training loop off wasm', () => {
  it('reads the device once per progress report, and trains what the per-step-synced wasm loop trains', async () => {
    const model = await tinyModel();
    const cacheDir = join(tempOut(), 'cache');
    // Cached activations: the stream then reads from disk, so every device read counted below is the loop's own.
    // tfjs's 'cpu' segment sum loops over the latents (TensorFlow's does not), so the sizes stay tiny.
    const config = (out: string) =>
      runConfig(out, { latents: [8, 16], k: 2, batch: 16, tokens: 256, logEvery: 4, checkpointEvery: 0, evalTokens: 0, initTokens: 64, cacheActivations: cacheDir, cacheDtype: 'f32' });
    const synced = tempOut();
    await trainFamily(config(synced), { model });

    const before = tf.getBackend();
    await tf.setBackend('cpu');
    const onDevice = tempOut();
    const engine = tf.engine();
    const readSync = vi.spyOn(engine, 'readSync');
    const read = vi.spyOn(engine, 'read');
    const reads = () => readSync.mock.calls.length + read.mock.calls.length;
    const readsAtProgress: number[] = [];
    try {
      await trainFamily(config(onDevice), { model, onEvent: (e: TrainEvent) => e.type === 'progress' && readsAtProgress.push(reads()) });
    } finally {
      vi.restoreAllMocks();
      await tf.setBackend(before);
    }
    // 16 steps, a report every 4: between two reports, 4 steps of two SAEs and one read.
    expect(readsAtProgress).toHaveLength(4);
    expect(readsAtProgress.slice(1).map((n, i) => n - readsAtProgress[i])).toEqual([1, 1, 1]);

    // The training curves, recorded as the deferred steps are read, are the per-step path's.
    const curves = (dir: string) => JSON.parse(readFileSync(join(dir, FAMILY_FILE), 'utf8')).saes.map((s: { history: { tokens: number[]; train_fvu: number[] } }) => s.history);
    const [syncedCurves, deviceCurves] = [curves(synced), curves(onDevice)];
    expect(deviceCurves.map((c: { tokens: number[] }) => c.tokens)).toEqual(syncedCurves.map((c: { tokens: number[] }) => c.tokens));
    deviceCurves.forEach((c: { train_fvu: number[] }, i: number) => c.train_fvu.forEach((v, j) => expect(v).toBeCloseTo(syncedCurves[i].train_fvu[j], 5)));
    for (const n of [8, 16]) {
      const a = saeWeights(join(synced, String(n)));
      const b = saeWeights(join(onDevice, String(n)));
      for (const name of ['W_enc', 'W_dec', 'b_enc', 'b_dec']) expect(maxAbsDiff(a[name], b[name])).toBeLessThan(1e-4);
    }
    model.dispose();
  });
});
