import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { loadSaeLens, saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { createSae, validateSaeConfig } from '../../../src-main/sae/index.js';
import { createSaeRunner } from '../../../src-main/sae/inference.js';
import { seededNormal } from '../../../src-main/sae/init.js';
import { plantedDictionary } from './planted.js';

const meta = { modelName: 'synthetic', hookName: 'blocks.0.hook_resid_post', contextSize: 64, prependBos: true };

describe('BatchTopK SAE', () => {
  it('keeps k active latents per token on average over the batch, varying per token', async () => {
    const data = plantedDictionary(16, 32, 3, 2);
    const sample = data.batch(256, 500);
    const sae = await createSae(validateSaeConfig({ architecture: 'batchtopk', dIn: 16, dSae: 64, k: 4, lr: 1e-2, lrWarmupSteps: 0 }), { sample });
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
    expect(mismatch).toBeLessThan(1e-5);
    const bundle = await sae.toBundle(meta);
    expect(bundle.spec).toMatchObject({ architecture: 'batchtopk', k: 4 });
    expect(state.threshold).toBeGreaterThan(0);
    expect(Array.from(bundle.weights.threshold!)).toEqual(new Array(64).fill(Math.fround(state.threshold)));
    expect(l0).toBe(4);
    tf.dispose([x, dense, sample]);
    await sae.dispose();
  });

  it('keeps the running mean of the smallest positive kept activation, even when fewer than batch·k are positive', async () => {
    // b_enc = −3 leaves only a few positive pre-activations per batch: the batch cut-off is ≤ 0, and
    // a threshold tracking the cut-off itself would stay at 0.
    const d = 8;
    const n = 32;
    const W_dec = seededNormal(n * d, 4);
    for (let j = 0; j < n; j++) {
      const norm = Math.hypot(...W_dec.subarray(j * d, (j + 1) * d));
      for (let i = 0; i < d; i++) W_dec[j * d + i] /= norm;
    }
    const W_enc = new Float32Array(d * n);
    for (let j = 0; j < n; j++) for (let i = 0; i < d; i++) W_enc[i * n + j] = W_dec[j * d + i];
    const weights = { W_enc, W_dec, b_enc: new Float32Array(n).fill(-3), b_dec: new Float32Array(d) };
    const sae = await createSae(validateSaeConfig({ architecture: 'batchtopk', dIn: d, dSae: n, k: 4, auxK: 0 }), { weights });
    const x = tf.tidy(() => tf.randomNormal([64, d], 0, 1.5, 'float32', 8) as tf.Tensor2D);
    const pre = tf.tidy(() => Array.from(tf.matMul(x, tf.tensor2d(W_enc, [d, n])).sub(3).dataSync()));
    const positive = pre.filter((v) => v > 0);
    expect(positive.length).toBeGreaterThan(0);
    expect(positive.length).toBeLessThan(64 * 4);
    await sae.step(x);
    expect((await sae.getState()).threshold).toBeCloseTo(Math.min(...positive), 5);
    x.dispose();
    await sae.dispose();
  });

  it('encodes a token above more latents than its first candidates exactly as the exported JumpReLU does', async () => {
    const config = validateSaeConfig({ architecture: 'batchtopk', dIn: 16, dSae: 64, k: 2, normalizeActivations: 'none' });
    const data = plantedDictionary(16, 32, 3, 5);
    const sample = data.batch(256, 1);
    const sae = await createSae(config, { sample });
    await sae.step(sample);
    // One token 50 times larger than the rest passes the threshold on far more than 4k = 8 latents.
    const x = tf.tidy(() => tf.concat([data.batch(1, 2).mul(50), data.batch(15, 3)]) as tf.Tensor2D);
    const inApp = await sae.encodeDense(x);
    const bundle = await sae.toBundle(meta);
    const runner = createSaeRunner(bundle);
    const exported = runner.encode(x);
    const [busiest, mismatch] = tf.tidy(() => [inApp.greater(0).sum(1).max().dataSync()[0], inApp.sub(exported).abs().max().dataSync()[0]]);
    expect(busiest).toBeGreaterThan(8);
    expect(mismatch).toBeLessThan(1e-5);

    // Saved for SAELens as JumpReLU, with the BatchTopK origin and k kept beside it; read back as BatchTopK.
    const dir = mkdtempSync(join(tmpdir(), 'batchtopk-'));
    saveSaeLens(dir, bundle);
    const cfg = JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8'));
    expect(cfg.architecture).toBe('jumprelu');
    expect(cfg.metadata.sae_explorer).toMatchObject({ architecture: 'batchtopk', k: 2 });
    expect(loadSaeLens(dir).spec).toMatchObject({ architecture: 'batchtopk', k: 2 });
    runner.dispose();
    tf.dispose([x, inApp, exported, sample]);
    await sae.dispose();
  });
});
