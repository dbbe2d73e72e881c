// The top-k SAE on a planted dictionary: it recovers the directions, beats a ReLU-L1 SAE at similar
// L0, and AuxK brings back latents that would otherwise stay dead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { createSae, validateSaeConfig, type StepResult, type TrainableSae } from '../../../src-main/sae/index.js';
import { seededNormal } from '../../../src-main/sae/init.js';
import { plantedDictionary, recoveredFraction } from './planted.js';

async function train(sae: TrainableSae, batch: (seed: number) => tf.Tensor2D, steps: number): Promise<StepResult> {
  let last: StepResult | undefined;
  for (let s = 0; s < steps; s++) {
    const x = batch(s);
    last = await sae.step(x);
    x.dispose();
  }
  return last!;
}

describe('top-k SAE on a planted dictionary (d 32, 64 directions, 3 active per sample)', () => {
  const data = plantedDictionary(32, 64, 3, 1);
  const batch = (seed: number) => data.batch(256, seed);
  let topk: TrainableSae;
  let topkResult: StepResult;

  beforeAll(async () => {
    const sample = data.batch(1024, 999);
    topk = await createSae(validateSaeConfig({ dIn: 32, dSae: 128, k: 3, lr: 1e-2, lrWarmupSteps: 0, deadTokensWindow: 2048 }), { sample });
    sample.dispose();
    topkResult = await train(topk, batch, 150);
  });

  afterAll(async () => {
    await topk.dispose();
  });

  it('recovers the planted directions (decoder row at cosine ≥ 0.95)', async () => {
    const state = await topk.getState();
    const recovered = recoveredFraction(data.directions, 64, state.params.W_dec, 128, 32);
    console.log(`top-k recovered ${(recovered * 100).toFixed(1)}% of 64 directions; nMSE ${topkResult.metrics.fvu.toFixed(4)}, L0 ${topkResult.metrics.l0}`);
    expect(recovered).toBeGreaterThanOrEqual(0.9);
    expect(topkResult.metrics.l0).toBe(3);
    expect(topkResult.metrics.fvu).toBeLessThan(0.1);
  });

  it('keeps every decoder row at unit norm', async () => {
    const { params } = await topk.getState();
    const norms = tf.tidy(() => Array.from(tf.tensor2d(params.W_dec, [128, 32]).norm('euclidean', 1).dataSync()));
    for (const norm of norms) expect(norm).toBeCloseTo(1, 5);
  });

  it('encodes k latents per token, consistently in sparse and dense form, and decodes near the input', async () => {
    const x = data.batch(64, 4242);
    const code = await topk.encode(x);
    expect(code.indices.shape).toEqual([64, 3]);
    const dense = await topk.encodeDense(x);
    expect(dense.shape).toEqual([64, 128]);
    const { nonZero, denseSum, sparseSum } = tf.tidy(() => ({
      nonZero: dense.greater(0).sum().dataSync()[0],
      denseSum: dense.sum().dataSync()[0],
      sparseSum: code.values.sum().dataSync()[0],
    }));
    expect(nonZero).toBeLessThanOrEqual(64 * 3);
    expect(denseSum).toBeCloseTo(sparseSum, 3);
    const xhat = await topk.decode(code);
    const fvu = tf.tidy(() => xhat.sub(x).square().sum().div(x.sub(x.mean(0)).square().sum()).dataSync()[0]);
    expect(fvu).toBeLessThan(0.15);
    tf.dispose([x, code.values, code.indices, dense, xhat]);
  });

  it('exports a SAELens-layout bundle with firing statistics', async () => {
    const bundle = await topk.toBundle({ modelName: 'synthetic', hookName: 'blocks.0.hook_resid_post', contextSize: 64, prependBos: true });
    expect(bundle.spec).toMatchObject({ architecture: 'topk', dIn: 32, dSae: 128, k: 3, applyBDecToInput: true, normalizeActivations: 'layer_norm' });
    const state = await topk.getState();
    // W_enc [dIn, dSae] row-major: element (i, j) at i·dSae + j, and the same numbers as the state.
    expect(bundle.weights.W_enc.length).toBe(32 * 128);
    expect(bundle.weights.W_enc[5 * 128 + 77]).toBe(state.params.W_enc[5 * 128 + 77]);
    expect(bundle.weights.W_dec).toEqual(state.params.W_dec);
    const frequencies = Array.from(bundle.logSparsity!).map((l) => 10 ** l);
    expect(frequencies.reduce((a, b) => a + b, 0)).toBeCloseTo(3, 1); // k firings per token in total
  });

  it('beats a ReLU-L1 SAE at similar L0 on reconstruction (shrinkage costs the L1 SAE)', async () => {
    const sample = data.batch(1024, 999);
    const relu = await createSae(validateSaeConfig({ architecture: 'standard', dIn: 32, dSae: 128, lr: 1e-2, lrWarmupSteps: 0, l1Coefficient: 1 }), { sample });
    sample.dispose();
    const reluResult = await train(relu, batch, 300);
    const state = await relu.getState();
    const recovered = recoveredFraction(data.directions, 64, state.params.W_dec, 128, 32);
    console.log(`ReLU-L1 (λ 1) recovered ${(recovered * 100).toFixed(1)}%; nMSE ${reluResult.metrics.fvu.toFixed(4)}, L0 ${reluResult.metrics.l0.toFixed(2)}; losses ${JSON.stringify(reluResult.losses)}`);
    expect(reluResult.metrics.l0).toBeLessThan(8);
    expect(recovered).toBeGreaterThanOrEqual(0.6);
    expect(reluResult.metrics.fvu).toBeGreaterThan(2 * topkResult.metrics.fvu);
    expect(reluResult.losses.l1).toBeGreaterThan(0);
    await relu.dispose();
  });
});

describe('AuxK', () => {
  // Data live in the first 16 of 32 dimensions. Half the latents start in the other 16, where the
  // top-k never picks them: without AuxK they get no gradient and stay dead for good.
  const d = 32;
  const n = 64;
  const data = plantedDictionary(d, 48, 3, 1, 16);

  function halfOrthogonalWeights() {
    const raw = seededNormal(n * 16, 5);
    const W_dec = new Float32Array(n * d);
    for (let j = 0; j < n; j++) {
      const offset = j < n / 2 ? 0 : 16;
      const norm = Math.hypot(...raw.subarray(j * 16, (j + 1) * 16));
      for (let i = 0; i < 16; i++) W_dec[j * d + offset + i] = raw[j * 16 + i] / norm;
    }
    const W_enc = new Float32Array(d * n);
    for (let j = 0; j < n; j++) for (let i = 0; i < d; i++) W_enc[i * n + j] = W_dec[j * d + i];
    // A small positive bias gives the orthogonal latents a positive pre-activation for AuxK to use.
    const b_enc = Float32Array.from({ length: n }, (_, j) => (j < n / 2 ? 0 : 0.05));
    return { W_enc, W_dec, b_enc, b_dec: new Float32Array(d) };
  }

  async function run(auxK: number): Promise<{ deadFraction: number; revived: number }> {
    const sae = await createSae(validateSaeConfig({ dIn: d, dSae: n, k: 3, lr: 1e-2, lrWarmupSteps: 0, deadTokensWindow: 512, auxK }), { weights: halfOrthogonalWeights() });
    const result = await train(sae, (s) => data.batch(256, s), 80);
    const state = await sae.getState();
    await sae.dispose();
    return { deadFraction: result.metrics.deadFraction, revived: Array.from(state.firingCounts.slice(n / 2)).filter((c) => c > 0).length };
  }

  it('revives dead latents that stay dead without it', async () => {
    const off = await run(0);
    const on = await run(16);
    console.log(`dead fraction after 80 steps: AuxK off ${off.deadFraction}, on ${on.deadFraction}; orthogonal latents that fired: off ${off.revived}, on ${on.revived} of 32`);
    expect(off.revived).toBe(0);
    expect(off.deadFraction).toBeGreaterThanOrEqual(0.5);
    expect(on.revived).toBeGreaterThanOrEqual(20);
    expect(on.deadFraction).toBeLessThan(0.3);
  });
});

describe('AuxK on latents that fired and then died', () => {
  // Phase A: data in the first 16 of 32 dimensions; every latent fires. Phase B: the data move to the
  // other 16; most latents stop firing, and live latents are too few to cover the new directions.
  // Inputs are scaled so E‖x − μ‖² ≈ 700, the scale of layer-normed GPT-2 activations (d 768).
  // A dead latent's Adam second moments still hold its main-loss gradients from phase A; with an
  // unnormalised MSE they are ~E‖x − μ‖² times its AuxK gradients, AuxK's steps shrink by as much,
  // and the run ends as if AuxK were off (measured: 48 dead of 64, nMSE 0.26).
  const n = 64;
  const window = 512;
  const scale = 15;
  const before = plantedDictionary(16, 32, 3, 11);
  const after = plantedDictionary(16, 32, 3, 13);
  const phaseA = (seed: number) => tf.tidy(() => tf.concat([before.batch(256, seed), tf.zeros([256, 16])], 1).mul(scale) as tf.Tensor2D);
  const phaseB = (seed: number) => tf.tidy(() => tf.concat([tf.zeros([256, 16]), after.batch(256, seed)], 1).mul(scale) as tf.Tensor2D);

  async function run(auxK: number): Promise<{ firedInA: number; dead: number; nmse: number }> {
    const sample = phaseA(999);
    const sae = await createSae(validateSaeConfig({ dIn: 32, dSae: n, k: 3, lr: 1e-2, lrWarmupSteps: 0, deadTokensWindow: window, auxK }), { sample });
    sample.dispose();
    await train(sae, phaseA, 100);
    const firedInA = (await sae.getState()).firingCounts.filter((c) => c > 0).length;
    const last = await train(sae, (s) => phaseB(1000 + s), 400);
    await sae.dispose();
    return { firedInA, dead: Math.round(last.metrics.deadFraction * n), nmse: last.metrics.fvu };
  }

  it('revives them within 400 steps, where AuxK off leaves them dead', async () => {
    const off = await run(0);
    const on = await run(32);
    console.log(`after the shift: AuxK off ${off.dead} dead of ${n}, nMSE ${off.nmse.toFixed(3)}; on ${on.dead} dead, nMSE ${on.nmse.toFixed(3)}`);
    expect(off.firedInA).toBe(n);
    expect(on.firedInA).toBe(n);
    expect(off.dead).toBeGreaterThanOrEqual(40);
    expect(on.dead).toBeLessThanOrEqual(off.dead - 8);
    expect(on.nmse).toBeLessThan(0.6 * off.nmse);
  });
});
