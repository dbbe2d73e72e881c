import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { createSae, validateSaeConfig } from '../../../src-main/sae/index.js';
import { plantedDictionary } from './planted.js';

describe('BatchTopK SAE', () => {
  it('keeps k active latents per token on average over the batch, varying per token', async () => {
    const data = plantedDictionary(16, 32, 3, 2);
    const sample = data.batch(256, 500);
    const sae = await createSae(validateSaeConfig({ architecture: 'batchtopk', dIn: 16, dSae: 64, k: 4, lr: 1e-2 }), { sample });
    let l0 = 0;
    for (let s = 0; s < 30; s++) {
      const x = data.batch(128, s);
      const result = await sae.step(x);
      l0 = result.metrics.l0;
      expect(result.metrics.l0).toBeCloseTo(4, 6); // 128·4 largest of the batch, no ties in random data
      x.dispose();
    }
    // The batch budget is shared unevenly: per-token counts differ.
    const x = data.batch(128, 1000);
    const dense = await sae.encodeDense(x);
    const perToken = tf.tidy(() => Array.from(dense.greater(0).sum(1).dataSync()));
    expect(new Set(perToken).size).toBeGreaterThan(1);
    // Inference is JumpReLU at the running threshold τ: z = pre where pre ≥ τ (and > 0), else 0.
    const state = await sae.getState();
    const { params, threshold } = state;
    const mismatch = tf.tidy(() => {
      const pre = tf.matMul(x.sub(tf.tensor1d(params.b_dec)), tf.tensor2d(params.W_enc, [16, 64])).add(tf.tensor1d(params.b_enc)); // [128, 64]
      const expected = pre.mul(pre.greaterEqual(threshold)).relu();
      return expected.sub(dense).abs().max().dataSync()[0];
    });
    expect(Math.max(...perToken)).toBeLessThanOrEqual(16); // within the 4k candidates per token
    expect(mismatch).toBeLessThan(1e-5);
    const bundle = await sae.toBundle({ modelName: 'synthetic', hookName: 'blocks.0.hook_resid_post', contextSize: 64, prependBos: true });
    expect(bundle.spec.architecture).toBe('jumprelu');
    expect(state.threshold).toBeGreaterThan(0);
    expect(Array.from(bundle.weights.threshold!)).toEqual(new Array(64).fill(Math.fround(state.threshold)));
    expect(l0).toBe(4);
    tf.dispose([x, dense, sample]);
    await sae.dispose();
  });
});
