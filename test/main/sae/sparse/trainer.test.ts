// The hand-written sparse backward against tfjs autodiff of a plain dense formulation, and the
// sharded trainer against the single-threaded one.
//
// Gradients are read through a full step: Adam with β1 = β2 = 0 and ε ≫ |g| moves each parameter by
// exactly lr·g/(|g| + ε) ≈ (lr/ε)·g, i.e. plain SGD, so θ_before − θ_after = g when lr = ε. The
// approximation is off by |g|/ε relative: ε = 1e8 keeps that (≤ 1e-7) below float32 rounding.
import { describe, expect, it } from 'vitest';
import { tf } from '../../../../src-main/engine/backend.js';
import { createSae, validateSaeConfig, type SaeParamArrays, type SaeTrainConfig } from '../../../../src-main/sae/index.js';

// No warm-up or clipping: the read-out needs θ − θ' = g exactly.
const SGD = { adamBeta1: 0, adamBeta2: 0, adamEps: 1e8, lr: 1e8, lrWarmupSteps: 0, gradClipNorm: 0 };

function randomBatch(batch: number, d: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => tf.randomNormal([batch, d], 0, 1, 'float32', seed).add(0.3) as tf.Tensor2D);
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbsValue(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

/** [rows, n] 0/1 mask of each row's `k` largest entries of `scores`. */
function topMask(scores: tf.Tensor2D, k: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.topk(scores, k).indices, scores.shape[1]).sum(1).cast('float32') as tf.Tensor2D);
}

/** [rows, n] 0/1 mask of the `count` largest entries of the whole of `scores` (BatchTopK). */
function batchTopMask(scores: tf.Tensor2D, count: number): tf.Tensor2D {
  return tf.tidy(() => scores.greaterEqual(tf.topk(scores.reshape([-1]), count).values.min()).cast('float32') as tf.Tensor2D);
}

/**
 * The step's gradient by autodiff of the dense formulation, with the top-k selections held fixed
 * (top-k's gradient passes through the selected entries): mse + Multi-TopK + AuxK, or mse + L1.
 */
function referenceGradients(config: SaeTrainConfig, p: SaeParamArrays, x: tf.Tensor2D, dead: Uint8Array, mseScale: number): Record<keyof SaeParamArrays, Float32Array> {
  const { dIn, dSae, k } = config;
  const batch = x.shape[0];
  return tf.tidy(() => {
    const W_enc = tf.tensor2d(p.W_enc, [dIn, dSae]);
    const b_enc = tf.tensor1d(p.b_enc);
    const W_dec = tf.tensor2d(p.W_dec, [dSae, dIn]);
    const b_dec = tf.tensor1d(p.b_dec);
    const preOf = (We: tf.Tensor, be: tf.Tensor, bd: tf.Tensor) => tf.matMul(x.sub(bd), We).add(be) as tf.Tensor2D; // [batch, dSae]
    const pre0 = preOf(W_enc, b_enc, b_dec);
    const standard = config.architecture === 'standard';
    const batchWide = config.architecture === 'batchtopk' || config.architecture === 'matryoshka_batchtopk';
    const mainMask = standard ? tf.onesLike(pre0) : batchWide ? batchTopMask(pre0, batch * k) : topMask(pre0, k);
    // Matryoshka: the main code restricted to latents [0, m), one mask per nested prefix.
    const prefixMasks = config.matryoshkaPrefixes.map((m) => mainMask.mul(tf.range(0, dSae).less(m).cast('float32')));
    const multiMask = config.multiTopK ? topMask(pre0, 4 * k) : undefined;
    const deadCount = dead.reduce((a, b) => a + b, 0);
    const auxWidth = Math.min(config.auxK, deadCount);
    const deadRow = tf.tensor1d(Float32Array.from(dead));
    const auxMask = auxWidth > 0 ? topMask(pre0.add(deadRow.sub(1).mul(1e30)) as tf.Tensor2D, auxWidth) : undefined;
    // AuxK's target e = x − x̂ carries no gradient: a constant here.
    const error = x.sub(tf.matMul(pre0.relu().mul(mainMask), W_dec).add(b_dec)); // [batch, dIn]
    const errorVariance = error.sub(error.mean(0)).square().sum();
    const loss = (We: tf.Tensor, be: tf.Tensor, Wd: tf.Tensor, bd: tf.Tensor): tf.Scalar => {
      const pre = preOf(We, be, bd);
      const act = pre.relu();
      const z = act.mul(mainMask);
      let total = tf.matMul(z, Wd).add(bd).sub(x).square().sum().mul(mseScale / batch) as tf.Scalar;
      // April 2024 L1: each latent weighted by its decoder row's norm, which carries gradient too.
      if (standard) total = total.add(z.sum(0).mul(Wd.norm('euclidean', 1)).sum().mul(config.l1Coefficient / batch));
      for (const mask of prefixMasks) total = total.add(tf.matMul(act.mul(mask), Wd).add(bd).sub(x).square().sum().mul(mseScale / batch));
      if (multiMask) total = total.add(tf.matMul(act.mul(multiMask), Wd).add(bd).sub(x).square().sum().mul(mseScale / (8 * batch)));
      if (auxMask) total = total.add(tf.matMul(act.mul(auxMask), Wd).sub(error).square().sum().div(errorVariance).mul(config.auxKCoefficient));
      return total;
    };
    const [gWe, gbe, gWd, gbd] = tf.grads((We, be, Wd, bd) => loss(We, be, Wd, bd))([W_enc, b_enc, W_dec, b_dec]);
    // The top-k family's step projects out each decoder row's parallel component; so does the
    // reference. The standard SAE's decoder is unconstrained.
    const along = gWd.mul(W_dec).sum(1, true);
    const gWdProjected = standard ? gWd : gWd.sub(along.mul(W_dec));
    return {
      W_enc: gWe.dataSync() as Float32Array,
      b_enc: gbe.dataSync() as Float32Array,
      W_dec: gWdProjected.dataSync() as Float32Array,
      b_dec: gbd.dataSync() as Float32Array,
    };
  });
}

/** θ − θ' of a step; with unit decoder rows, for W_dec the projected gradient g⊥ with θ' = unit(θ − g⊥). */
function stepGradients(before: SaeParamArrays, after: SaeParamArrays, dIn: number, unitRows: boolean): Record<keyof SaeParamArrays, Float32Array> {
  const diff = (a: Float32Array, b: Float32Array) => a.map((v, i) => v - b[i]);
  if (!unitRows) return { W_enc: diff(before.W_enc, after.W_enc), b_enc: diff(before.b_enc, after.b_enc), W_dec: diff(before.W_dec, after.W_dec), b_dec: diff(before.b_dec, after.b_dec) };
  // unit(w − g⊥) has the direction of w − g⊥; since g⊥ ⟂ w and |w| = 1, w − g⊥ = after · √(1 + |g⊥|²),
  // and the scale follows from the component along w: (w − g⊥)·w = 1 ⇒ scale = 1 / (after·w).
  const W_dec = new Float32Array(before.W_dec.length);
  for (let r = 0; r < before.W_dec.length / dIn; r++) {
    let along = 0;
    for (let c = 0; c < dIn; c++) along += after.W_dec[r * dIn + c] * before.W_dec[r * dIn + c];
    for (let c = 0; c < dIn; c++) W_dec[r * dIn + c] = before.W_dec[r * dIn + c] - after.W_dec[r * dIn + c] / along;
  }
  return { W_enc: diff(before.W_enc, after.W_enc), b_enc: diff(before.b_enc, after.b_enc), W_dec, b_dec: diff(before.b_dec, after.b_dec) };
}

async function checkGradients(overrides: Partial<SaeTrainConfig>, deadLatents: number, referenceL1?: number): Promise<void> {
  const config = validateSaeConfig({ dIn: 12, dSae: 40, k: 3, deadTokensWindow: 100, auxK: 6, ...SGD, ...overrides });
  const x = randomBatch(24, config.dIn, 7);
  const sae = await createSae(config, { sample: x });
  const state = await sae.getState();
  // Mark the first latents dead, so AuxK takes part.
  const dead = new Uint8Array(config.dSae).map((_, i) => (i < deadLatents ? 1 : 0));
  state.tokensSinceFired = Float32Array.from(dead, (d) => (d ? config.deadTokensWindow : 0));
  await sae.setState(state);
  const result = await sae.step(x);
  const after = await sae.getState();
  // The top-k family's reconstruction terms are normalised by the sample's variance (OpenAI's mse_scale).
  const variance = tf.tidy(() => x.sub(x.mean(0)).square().sum(1).mean().dataSync()[0]);
  expect(state.mseScale).toBeCloseTo(config.architecture === 'standard' ? 1 : 1 / variance, 6);
  const reference = referenceGradients({ ...config, l1Coefficient: referenceL1 ?? config.l1Coefficient }, state.params, x, dead, state.mseScale);
  // Step 1 of a warm-up runs at lr / lrWarmupSteps; clipping scales the whole gradient to gradClipNorm
  // (the clipping norms below are under the measured norms: 0.67 for topk, 36 for standard).
  const norm = Math.sqrt(Object.values(reference).reduce((sum, g) => sum + g.reduce((s, v) => s + v * v, 0), 0));
  const factor = (config.lrWarmupSteps > 0 ? 1 / config.lrWarmupSteps : 1) * (config.gradClipNorm > 0 && norm > config.gradClipNorm ? config.gradClipNorm / norm : 1);
  console.log(`gradient norm ${norm.toExponential(2)}, expected step factor ${factor.toExponential(2)}`);
  const expected = Object.fromEntries(Object.entries(reference).map(([key, g]) => [key, g.map((v) => v * factor)])) as typeof reference;
  const actual = stepGradients(state.params, after.params, config.dIn, config.architecture !== 'standard');
  for (const key of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const) {
    const scale = Math.max(maxAbsValue(expected[key]), 1e-3);
    const error = maxAbs(actual[key], expected[key]) / scale;
    console.log(`${config.architecture} ${key}: largest gradient difference ${error.toExponential(2)} (relative to max |g| ${scale.toExponential(2)})`);
    // Measured: at most 2e-6 of max |g| (W_dec, read back through the row renormalisation), float32
    // rounding; a wrong or missing term shows at 1e-2 or more.
    expect(error).toBeLessThan(1e-5);
  }
  if (deadLatents > 0) expect(result.metrics.auxLatents).toBe(Math.min(config.auxK, deadLatents));
  x.dispose();
  await sae.dispose();
}

describe('hand-written backward vs autodiff', () => {
  it('topk: mse + Multi-TopK + AuxK gradients match tf.grads of the dense formulation', async () => {
    await checkGradients({ architecture: 'topk', multiTopK: true }, 15);
  });

  it('topk without dead latents: mse gradients match', async () => {
    await checkGradients({ architecture: 'topk' }, 0);
  });

  it('batchtopk: mse + AuxK gradients match, with the batch-wide top selection', async () => {
    await checkGradients({ architecture: 'batchtopk' }, 15);
  });

  it('matryoshka_batchtopk: mse + every nested prefix\'s mse + AuxK gradients match', async () => {
    await checkGradients({ architecture: 'matryoshka_batchtopk', matryoshkaPrefixes: [5, 17] }, 15);
  });

  it('standard: mse + L1 gradients match', async () => {
    await checkGradients({ architecture: 'standard', l1Coefficient: 0.3 }, 0);
  });

  it('warm-up and clipping: step 1 moves by g / lrWarmupSteps, scaled to the clipping norm over all parameters', async () => {
    await checkGradients({ architecture: 'topk', multiTopK: true, lrWarmupSteps: 2, gradClipNorm: 0.3 }, 15);
    await checkGradients({ architecture: 'standard', l1Coefficient: 0.3, lrWarmupSteps: 2, gradClipNorm: 10 }, 0);
    // λ's warm-up: step 1 of 4 penalises with λ/4, as the reference with l1Coefficient 0.3/4 does.
    await checkGradients({ architecture: 'standard', l1Coefficient: 0.3, l1WarmupSteps: 4 }, 0, 0.3 / 4);
  });
});

describe('sharded trainer', () => {
  it('two worker shards give the same parameters, losses and state as one thread', async () => {
    // A clipping norm every step exceeds: the shards must agree on the norm of the whole gradient.
    const config = validateSaeConfig({ dIn: 16, dSae: 48, k: 4, deadTokensWindow: 64, auxK: 8, multiTopK: true, gradClipNorm: 1e-3 });
    const batches = [0, 1, 2, 3, 4].map((s) => randomBatch(32, 16, 100 + s));
    const single = await createSae(config, { sample: batches[0] });
    const sharded = await createSae(config, { sample: batches[0], shards: 2 });
    // Latents dead from the start, all in the first shard: the second has no AuxK candidates at
    // first; later steps find dead latents in both, and AuxK's candidates merge across shards.
    const start = await single.getState();
    start.tokensSinceFired = Float32Array.from({ length: 48 }, (_, i) => (i < 10 ? 64 : 0));
    await single.setState(start);
    await sharded.setState(start);
    const auxUsed: number[] = [];
    for (const x of batches) {
      const a = await single.step(x);
      const b = await sharded.step(x);
      auxUsed.push(a.metrics.auxLatents);
      expect(b.loss).toBeCloseTo(a.loss, 4);
      expect(b.metrics).toEqual({ ...a.metrics, fvu: expect.closeTo(a.metrics.fvu, 5) });
    }
    expect(auxUsed[0]).toBe(8);
    const sa = await single.getState();
    const sb = await sharded.getState();
    for (const key of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const) {
      expect(maxAbs(sa.params[key], sb.params[key])).toBeLessThan(1e-5);
      expect(maxAbs(sa.adamV[key], sb.adamV[key])).toBeLessThan(1e-6);
    }
    expect(Array.from(sb.firingCounts)).toEqual(Array.from(sa.firingCounts));
    const code = await sharded.encode(batches[0]);
    const ref = await single.encode(batches[0]);
    expect(Array.from(code.indices.dataSync())).toEqual(Array.from(ref.indices.dataSync()));
    tf.dispose([code.values, code.indices, ref.values, ref.indices, ...batches]);
    await single.dispose();
    await sharded.dispose();
  });
});

describe('checkpoint state', () => {
  it('a new SAE restored from getState() continues exactly like the original', async () => {
    const config = validateSaeConfig({ dIn: 16, dSae: 48, k: 4, deadTokensWindow: 64, auxK: 8 });
    const batches = [0, 1, 2, 3].map((s) => randomBatch(32, 16, 200 + s));
    const original = await createSae(config, { sample: batches[0] });
    await original.step(batches[0]);
    await original.step(batches[1]);
    const saved = await original.getState();
    const restored = await createSae(saved.config, { weights: saved.params });
    await restored.setState(saved);
    for (const x of batches.slice(2)) {
      const a = await original.step(x);
      const b = await restored.step(x);
      expect(b).toEqual(a);
    }
    const end = await restored.getState();
    expect(end.step).toBe(4);
    expect(end.params.W_dec).toEqual((await original.getState()).params.W_dec);
    await expect(restored.setState({ ...saved, config: { ...saved.config, k: 5 } })).rejects.toThrow(/the state was saved with config/);
    tf.dispose(batches);
    await original.dispose();
    await restored.dispose();
  });
});
