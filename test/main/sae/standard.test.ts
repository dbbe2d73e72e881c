import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { createSae, validateSaeConfig } from '../../../src-main/sae/index.js';
import { initialParams } from '../../../src-main/sae/init.js';

describe('standard (ReLU + L1) SAE', () => {
  it('reports mse and l1 terms, encodes every active latent, and round-trips its state', async () => {
    const config = validateSaeConfig({ architecture: 'standard', dIn: 8, dSae: 24, l1Coefficient: 0.5, lr: 1e-2, lrWarmupSteps: 0 });
    const x = tf.randomNormal([32, 8], 0, 1, 'float32', 3) as tf.Tensor2D;
    const sae = await createSae(config, { sample: x });
    const first = await sae.step(x);
    expect(first.loss).toBeCloseTo(first.losses.mse + first.losses.l1, 5);
    const dense = await sae.encodeDense(x);
    const code = await sae.encode(x);
    const activePerToken = tf.tidy(() => dense.greater(0).sum(1).max().dataSync()[0]);
    expect(code.values.shape).toEqual([32, Math.max(1, activePerToken)]);
    const { params } = await sae.getState();
    const fromSparse = await sae.decode(code);
    const difference = tf.tidy(() => {
      const fromDense = tf.matMul(dense, tf.tensor2d(params.W_dec, [24, 8])).add(tf.tensor1d(params.b_dec)); // [32, 8]
      return fromSparse.sub(fromDense).abs().max().dataSync()[0];
    });
    expect(difference).toBeLessThan(1e-5);
    tf.dispose([dense, code.values, code.indices, fromSparse]);

    // The April 2024 recipe: decoder rows start at norm 0.1 and are not renormalised by the step.
    const rowNorms = (W: Float32Array) => Array.from({ length: 24 }, (_, j) => Math.hypot(...W.subarray(j * 8, (j + 1) * 8)));
    const initial = rowNorms(initialParams(config, x).W_dec);
    for (const norm of initial) expect(norm).toBeCloseTo(0.1, 5);
    const trained = rowNorms(params.W_dec);
    expect(Math.max(...trained.map((n, j) => Math.abs(n - initial[j])))).toBeGreaterThan(1e-3);
    const saved = await sae.getState();
    const next = await sae.step(x);
    await sae.setState(saved);
    const again = await sae.step(x);
    expect(again.loss).toBe(next.loss);
    await expect(createSae(config, { shards: 2 })).rejects.toThrow(/runs in one thread; use shards = 1/);
    x.dispose();
    await sae.dispose();
  });
});
