// The standard (ReLU + L1) step off wasm reads nothing back per step either, and trains what the
// per-step-synced wasm path trains. tfjs's 'cpu' backend stands in for TensorFlow (device-helpers.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { createSae, validateSaeConfig } from '../../../src-main/sae/index.js';
import { readSteps } from '../../../src-main/sae/pending.js';
import { batches, countHostReads, maxAbsDiff, onBackend, train } from './device-helpers.js';

// Clipping and the L1 warm-up on.
const CONFIG = validateSaeConfig({ architecture: 'standard', dIn: 8, dSae: 48, l1Coefficient: 4, lr: 1e-2, lrWarmupSteps: 2, gradClipNorm: 0.5 });

afterEach(() => vi.restoreAllMocks());

describe('the standard step off wasm', () => {
  it('reads nothing back per step, and trains to the wasm path\'s weights, firing statistics and metrics', async () => {
    const device = await onBackend('cpu', async () => {
      // Made on this backend: a tensor moved between backends is read on the way.
      const xs = batches(6, 8, CONFIG.dIn);
      const sae = await createSae(CONFIG);
      const reads = countHostReads();
      const pending = [];
      for (const x of xs) pending.push(await sae.stepDeferred!(x));
      expect(reads.count()).toBe(0);
      const results = await readSteps(pending);
      expect(reads.count()).toBe(1);
      vi.restoreAllMocks();
      const state = await sae.getState();
      await sae.dispose();
      tf.dispose(xs);
      return { results, state };
    });
    const xs = batches(6, 8, CONFIG.dIn);
    const host = await createSae(CONFIG);
    expect(host.stepDeferred).toBeUndefined();
    const results = await train(host, xs, false);
    const state = await host.getState();
    await host.dispose();
    tf.dispose(xs);

    results.forEach((r, i) => {
      const d = device.results[i];
      for (const name of ['mse', 'l1']) expect(d.losses[name]).toBeCloseTo(r.losses[name], 5);
      for (const key of ['l0', 'deadFraction', 'fvu'] as const) expect(d.metrics[key]).toBeCloseTo(r.metrics[key], 5);
    });
    for (const part of ['params', 'adamM', 'adamV'] as const) {
      for (const key of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const) expect(maxAbsDiff(device.state[part][key], state[part][key])).toBeLessThan(1e-5);
    }
    // Some latents went silent for a batch or more, so the firing record is not trivially all zeros.
    expect(state.tokensSinceFired.some((n) => n > 0)).toBe(true);
    expect(device.state.tokensSinceFired).toEqual(state.tokensSinceFired);
    expect(device.state.firingCounts).toEqual(state.firingCounts);
  });
});
