// The top-k step off wasm (tfjs-node, CUDA) keeps codes, gradients, firing counts and metrics on the
// device. tfjs's pure-JS 'cpu' backend has no wasm fused kernels either, so it takes the same path
// here; it is checked against the wasm path, which reads its codes every step, to float tolerance.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tf } from '../../../../src-main/engine/backend.js';
import { createSae, validateSaeConfig } from '../../../../src-main/sae/index.js';
import { readSteps } from '../../../../src-main/sae/pending.js';
import { batches as batchesOf, maxAbsDiff, onBackend, train, trainReadingOnce } from '../device-helpers.js';

// Small enough that latents die within the run (window 96 tokens = 3 batches), so AuxK runs both
// with and without dead latents; Multi-TopK adds an extra reconstruction; clipping is on.
const CONFIG = validateSaeConfig({ architecture: 'topk', dIn: 12, dSae: 48, k: 3, auxK: 6, multiTopK: true, deadTokensWindow: 96, lrWarmupSteps: 2, gradClipNorm: 0.5, seed: 3 });
const STEPS = 8;
const BATCH = 32;

function batches(): tf.Tensor2D[] {
  return batchesOf(STEPS, BATCH, CONFIG.dIn);
}

afterEach(() => vi.restoreAllMocks());

describe('the top-k step off wasm', () => {
  it('reads nothing back per step: N steps cost one batched read of their metrics', async () => {
    await onBackend('cpu', async () => {
      const sae = await createSae(CONFIG);
      const xs = batches();
      const results = await trainReadingOnce(sae, xs);
      expect(results.map((r) => r.metrics.tokens)).toEqual(Array(STEPS).fill(BATCH));
      tf.dispose(xs);
      await sae.dispose();
    });
  });

  it('leaves AuxK out, without reading the device, while no latent can be dead yet', async () => {
    await onBackend('cpu', async () => {
      // 8 steps of 32 tokens against a 96-token window: steps 1–3 cannot have a dead latent.
      const sae = await createSae(CONFIG);
      const xs = batches();
      const engine = tf.engine();
      const runKernel = engine.runKernel.bind(engine);
      const topKs: number[] = [];
      vi.spyOn(engine, 'runKernel').mockImplementation((name, inputs, attrs) => {
        if (name === 'TopK') topKs[topKs.length - 1]++;
        return runKernel(name, inputs, attrs);
      });
      const pending = [];
      for (const x of xs) {
        topKs.push(0);
        pending.push(await sae.stepDeferred!(x));
      }
      vi.restoreAllMocks();
      expect(topKs).toEqual([1, 1, 1, 2, 2, 2, 2, 2]);
      const results = await readSteps(pending);
      expect(results.slice(0, 3).map((r) => Object.keys(r.losses).sort())).toEqual(Array(3).fill(['mse', 'multi_topk']));
      tf.dispose(xs);
      await sae.dispose();
    });
  });

  it('hands int32 latent ids only to kernels TensorFlow runs on the GPU (Cast, GatherV2, UnsortedSegmentSum)', async () => {
    // TensorFlow's GPU build keeps int32 Slice, Reshape, ConcatV2 and arithmetic in host memory,
    // so any other kernel given int32 ids would copy them to the host and back every step.
    await onBackend('cpu', async () => {
      const sae = await createSae(CONFIG);
      const xs = batches();
      const engine = tf.engine();
      const runKernel = engine.runKernel.bind(engine);
      const int32Kernels = new Set<string>();
      vi.spyOn(engine, 'runKernel').mockImplementation((name, inputs, attrs) => {
        if (Object.values(inputs).some((t) => t?.dtype === 'int32')) int32Kernels.add(name);
        return runKernel(name, inputs, attrs);
      });
      const pending = [];
      for (const x of xs) pending.push(await sae.stepDeferred!(x));
      vi.restoreAllMocks();
      expect([...int32Kernels].sort()).toEqual(['Cast', 'GatherV2', 'UnsortedSegmentSum']);
      await readSteps(pending);
      tf.dispose(xs);
      await sae.dispose();
    });
  });

  it('trains to the same weights, firing statistics and metrics as the per-step-synced wasm path', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const device = await onBackend('cpu', async () => {
      const sae = await createSae(CONFIG);
      const xs = batches();
      const results = await train(sae, xs, true);
      tf.dispose(xs);
      const state = await sae.getState();
      await sae.dispose();
      return { results, state };
    });
    const host = await createSae(CONFIG);
    const xs = batches();
    const results = await train(host, xs, false);
    tf.dispose(xs);
    const state = await host.getState();
    await host.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);

    // The run saw steps without dead latents (no AuxK term) and with them.
    expect(results.some((r) => r.metrics.auxLatents === 0)).toBe(true);
    expect(results.some((r) => r.metrics.auxLatents > 0)).toBe(true);
    results.forEach((r, i) => {
      const d = device.results[i];
      expect(Object.keys(d.losses).sort()).toEqual(Object.keys(r.losses).sort());
      for (const name of Object.keys(r.losses)) expect(d.losses[name]).toBeCloseTo(r.losses[name], 4);
      expect(d.loss).toBeCloseTo(r.loss, 4);
      expect(d.metrics).toMatchObject({ auxLatents: r.metrics.auxLatents, tokens: BATCH });
      // float32 on the device, float64 on the host
      for (const key of ['l0', 'deadFraction', 'fvu'] as const) expect(d.metrics[key]).toBeCloseTo(r.metrics[key], 5);
    });
    for (const part of ['params', 'adamM', 'adamV'] as const) {
      for (const key of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const) {
        const diff = maxAbsDiff(device.state[part][key], state[part][key]);
        console.log(`${part}.${key}: largest difference ${diff.toExponential(2)}`);
        expect(diff).toBeLessThan(1e-4);
      }
    }
    expect(device.state.tokensSinceFired).toEqual(state.tokensSinceFired);
    expect(device.state.firingCounts).toEqual(state.firingCounts);
    expect(device.state.tokensSeen).toBe(state.tokensSeen);
  });
});
