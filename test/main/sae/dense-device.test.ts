// The dense architectures' steps (standard ReLU + L1, JumpReLU, gated) off wasm read nothing back
// per step either, and train what the per-step-synced wasm path trains. tfjs's 'cpu' backend stands
// in for TensorFlow (device-helpers.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { createSae, validateSaeConfig } from '../../../src-main/sae/index.js';
import { batches, maxAbsDiff, onBackend, train, trainReadingOnce } from './device-helpers.js';

// Clipping and the warm-ups on; penalties high enough that some latents go silent for a batch.
const COMMON = { dIn: 8, dSae: 48, lr: 1e-2, lrWarmupSteps: 2, gradClipNorm: 0.5 };
const CONFIGS = [
  validateSaeConfig({ ...COMMON, architecture: 'standard', l1Coefficient: 4 }),
  validateSaeConfig({ ...COMMON, architecture: 'jumprelu', l0Coefficient: 0.5 }),
  validateSaeConfig({ ...COMMON, architecture: 'gated', l1Coefficient: 4 }),
];

afterEach(() => vi.restoreAllMocks());

describe('the dense steps off wasm', () => {
  it.each(CONFIGS.map((config) => [config.architecture, config] as const))('%s reads nothing back per step, and trains to the wasm path\'s weights, firing statistics and metrics', async (_name, CONFIG) => {
    const device = await onBackend('cpu', async () => {
      // Made on this backend: a tensor moved between backends is read on the way.
      const xs = batches(6, 8, CONFIG.dIn);
      const sae = await createSae(CONFIG);
      const results = await trainReadingOnce(sae, xs);
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
      expect(Object.keys(d.losses)).toEqual(Object.keys(r.losses));
      // float32 on the device, float64 on the host: equal to float32's precision, relative to the value.
      const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b)));
      for (const name of Object.keys(r.losses)) close(d.losses[name], r.losses[name]);
      for (const key of ['l0', 'deadFraction', 'fvu'] as const) close(d.metrics[key], r.metrics[key]);
    });
    for (const part of ['params', 'adamM', 'adamV'] as const) {
      for (const key of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const) expect(maxAbsDiff(device.state[part][key], state[part][key])).toBeLessThan(1e-5);
    }
    for (const [name, values] of Object.entries(state.extra ?? {})) expect(maxAbsDiff(device.state.extra![name], values)).toBeLessThan(1e-5);
    // Some latents went silent for a batch or more, so the firing record is not trivially all zeros.
    expect(state.tokensSinceFired.some((n) => n > 0)).toBe(true);
    expect(device.state.tokensSinceFired).toEqual(state.tokensSinceFired);
    expect(device.state.firingCounts).toEqual(state.firingCounts);
  });
});
