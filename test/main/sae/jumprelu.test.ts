// JumpReLU: the hand-written gradients (straight-through estimator, rectangle-kernel pseudo-derivative
// for θ) against a plain float64 loop written from the paper's equations, the smooth parts of that
// loop against finite differences, training on a planted dictionary, SAELens export and import, and
// checkpoint state.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { loadSaeLens, saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { createSae, validateSaeConfig } from '../../../src-main/sae/index.js';
import { createSaeRunner } from '../../../src-main/sae/inference.js';
import { seededNormal } from '../../../src-main/sae/init.js';
import { jumpReluGradients, LOG_THRESHOLD } from '../../../src-main/sae/jumprelu.js';
import { readCheckpoint, writeCheckpoint } from '../../../src-main/train/checkpoint.js';
import { plantedDictionary } from './planted.js';

const meta = { modelName: 'synthetic', hookName: 'blocks.0.hook_resid_post', contextSize: 64, prependBos: true };

interface Plain {
  W_enc: number[]; // [dIn, dSae]
  b_enc: number[];
  W_dec: number[]; // [dSae, dIn]
  b_dec: number[];
  logThreshold: number[];
}

/** The loss and every gradient, one scalar at a time in float64, straight from the paper's eq. 11–12. */
function plainLoop(x: number[][], p: Plain, dSae: number, mseScale: number, eps: number, lambda: number) {
  const B = x.length;
  const dIn = x[0].length;
  const g: Plain = { W_enc: p.W_enc.map(() => 0), b_enc: p.b_enc.map(() => 0), W_dec: p.W_dec.map(() => 0), b_dec: p.b_dec.map(() => 0), logThreshold: p.logThreshold.map(() => 0) };
  let loss = 0;
  let kernelHits = 0;
  for (const xt of x) {
    const xc = xt.map((v, d) => v - p.b_dec[d]);
    const pre: number[] = [];
    for (let i = 0; i < dSae; i++) {
      let s = p.b_enc[i];
      for (let d = 0; d < dIn; d++) s += xc[d] * p.W_enc[d * dSae + i];
      pre.push(s);
    }
    const theta = p.logThreshold.map(Math.exp);
    const z = pre.map((v, i) => (v > theta[i] ? v : 0));
    const residual = xt.map((v, d) => {
      let s = p.b_dec[d];
      for (let i = 0; i < dSae; i++) s += z[i] * p.W_dec[i * dIn + d];
      return s - v;
    });
    loss += (mseScale / B) * residual.reduce((a, r) => a + r * r, 0) + (lambda / B) * z.filter((v) => v !== 0).length;
    const dOut = residual.map((r) => (2 * mseScale * r) / B);
    for (let i = 0; i < dSae; i++) {
      let dz = 0;
      for (let d = 0; d < dIn; d++) {
        dz += dOut[d] * p.W_dec[i * dIn + d];
        g.W_dec[i * dIn + d] += z[i] * dOut[d];
      }
      const H = pre[i] > theta[i] ? 1 : 0;
      const K = Math.abs((pre[i] - theta[i]) / eps) < 0.5 ? 1 : 0;
      kernelHits += K;
      const dPre = dz * H;
      g.b_enc[i] += dPre;
      for (let d = 0; d < dIn; d++) {
        g.W_enc[d * dSae + i] += dPre * xc[d];
        g.b_dec[d] -= dPre * p.W_enc[d * dSae + i];
      }
      const dTheta = dz * (-theta[i] / eps) * K + (lambda / B) * (-1 / eps) * K;
      g.logThreshold[i] += dTheta * theta[i];
    }
    for (let d = 0; d < dIn; d++) g.b_dec[d] += dOut[d];
  }
  return { loss, g, kernelHits };
}

function maxRelative(actual: ArrayLike<number>, expected: number[]): number {
  const scale = Math.max(1e-6, ...expected.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / scale;
}

describe('JumpReLU SAE', () => {
  const dIn = 6;
  const dSae = 10;
  const B = 16;
  const plain: Plain = {
    W_enc: Array.from(seededNormal(dIn * dSae, 1), (v) => v * 0.5),
    b_enc: Array.from(seededNormal(dSae, 2), (v) => v * 0.1),
    W_dec: Array.from(seededNormal(dSae * dIn, 3), (v) => v * 0.4),
    b_dec: Array.from(seededNormal(dIn, 4), (v) => v * 0.2),
    logThreshold: Array.from(seededNormal(dSae, 5), (v) => Math.log(0.3) + 0.3 * v),
  };
  const xs = Array.from({ length: B }, (_, t) => Array.from(seededNormal(dIn, 100 + t)));
  // A bandwidth wide enough that many pre-activations fall inside the kernel, so θ's term is exercised.
  const settings = { mseScale: 0.2, bandwidth: 0.4, l0Coefficient: 0.05 };

  it('hand-written gradients match the plain float64 loop of the paper\'s estimator, for every parameter', () => {
    const reference = plainLoop(xs, plain, dSae, settings.mseScale, settings.bandwidth, settings.l0Coefficient);
    expect(reference.kernelHits).toBeGreaterThan(10);
    const tensors = {
      W_enc: tf.tensor2d(plain.W_enc, [dIn, dSae]),
      b_enc: tf.tensor1d(plain.b_enc),
      W_dec: tf.tensor2d(plain.W_dec, [dSae, dIn]),
      b_dec: tf.tensor1d(plain.b_dec),
      logThreshold: tf.tensor1d(plain.logThreshold),
    };
    const x = tf.tensor2d(xs);
    const { grads, sse, fired } = jumpReluGradients(x, tensors, settings);
    const firedTotal = fired.reduce((a, b) => a + b, 0);
    expect((settings.mseScale * sse) / B + (settings.l0Coefficient * firedTotal) / B).toBeCloseTo(reference.loss, 5);
    for (const key of ['W_enc', 'b_enc', 'W_dec', 'b_dec', 'logThreshold'] as const) {
      const error = maxRelative(grads[key].dataSync(), reference.g[key]);
      console.log(`jumprelu ${key}: largest difference ${error.toExponential(2)} of max |g|`);
      // Measured ≤ 1e-6 (float32 rounding); a wrong sign, factor or missing term is ≥ 1e-2.
      expect(error).toBeLessThan(1e-5);
    }
    tf.dispose([...Object.values(tensors), ...Object.values(grads), x]);
  });

  it('the plain loop\'s gradients of W_enc, b_enc, W_dec and b_dec are the loss\'s true derivatives (central differences)', () => {
    const { g } = plainLoop(xs, plain, dSae, settings.mseScale, settings.bandwidth, settings.l0Coefficient);
    // h small enough that no pre-activation crosses its threshold: the L0 term is then constant and
    // the straight-through gradient is the exact derivative.
    const h = 1e-6;
    for (const key of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const) {
      const numeric = plain[key].map((_, i) => {
        const shifted = (by: number) => ({ ...plain, [key]: plain[key].map((v, j) => (j === i ? v + by : v)) });
        const up = plainLoop(xs, shifted(h), dSae, settings.mseScale, settings.bandwidth, settings.l0Coefficient).loss;
        const down = plainLoop(xs, shifted(-h), dSae, settings.mseScale, settings.bandwidth, settings.l0Coefficient).loss;
        return (up - down) / (2 * h);
      });
      const error = maxRelative(g[key], numeric);
      console.log(`jumprelu ${key} vs central differences: ${error.toExponential(2)} of max |g|`);
      expect(error).toBeLessThan(1e-6);
    }
  });

  it('trains on a planted dictionary: λ sets the L0, θ is learned, and the SAELens export encodes exactly as the app', async () => {
    const data = plantedDictionary(16, 32, 3, 2);
    const sample = data.batch(512, 500);
    const train = async (l0Coefficient: number) => {
      // θ starts at 0.3 (not the paper's 0.001): log θ moves about lr per Adam step, too slowly to
      // leave 0.001 in a test's 150 steps.
      const config = { architecture: 'jumprelu', dIn: 16, dSae: 64, lr: 2e-2, lrWarmupSteps: 0, l0Coefficient, jumpReluBandwidth: 0.1, jumpReluInitThreshold: 0.3, normalizeActivations: 'none' };
      const sae = await createSae(validateSaeConfig(config), { sample });
      let last;
      for (let s = 0; s < 150; s++) {
        const x = data.batch(128, s);
        last = await sae.step(x);
        x.dispose();
      }
      return { sae, last: last! };
    };
    const loose = await train(1e-3);
    const tight = await train(3e-2);
    console.log(`jumprelu λ 1e-3: fvu ${loose.last.metrics.fvu.toFixed(3)}, L0 ${loose.last.metrics.l0.toFixed(1)}; λ 3e-2: fvu ${tight.last.metrics.fvu.toFixed(3)}, L0 ${tight.last.metrics.l0.toFixed(1)}`);
    // Measured: λ 1e-3 → FVU 0.048 at L0 8.3; λ 3e-2 → FVU 0.126 at L0 4.5.
    expect(loose.last.metrics.fvu).toBeLessThan(0.1);
    expect(tight.last.metrics.l0).toBeLessThan(0.7 * loose.last.metrics.l0);
    expect(tight.last.metrics.fvu).toBeGreaterThan(loose.last.metrics.fvu);
    const state = await loose.sae.getState();
    const thetas = Array.from(state.extra![LOG_THRESHOLD], Math.exp);
    expect(new Set(thetas.map((t) => t.toFixed(6))).size).toBeGreaterThan(10); // learned per latent, not the shared start

    const bundle = await loose.sae.toBundle(meta);
    const dir = mkdtempSync(join(tmpdir(), 'jumprelu-'));
    saveSaeLens(dir, bundle);
    const cfg = JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8'));
    expect(cfg.architecture).toBe('jumprelu');
    const loaded = loadSaeLens(dir);
    expect(loaded.spec.architecture).toBe('jumprelu');
    expect(Array.from(loaded.weights.threshold!)).toEqual(thetas.map(Math.fround));
    const x = data.batch(64, 9999);
    const inApp = await loose.sae.encodeDense(x);
    const runner = createSaeRunner(loaded);
    const exported = runner.encode(x);
    const [mismatch, active] = tf.tidy(() => [inApp.sub(exported).abs().max().dataSync()[0], inApp.greater(0).sum().dataSync()[0]]);
    expect(active).toBeGreaterThan(0);
    expect(mismatch).toBeLessThan(1e-5);
    runner.dispose();
    tf.dispose([x, inApp, exported, sample]);
    await loose.sae.dispose();
    await tight.sae.dispose();
  });

  it('a checkpoint keeps log θ and its Adam moments: a restored SAE continues exactly', async () => {
    const data = plantedDictionary(8, 16, 2, 3);
    const sample = data.batch(128, 1);
    const config = validateSaeConfig({ architecture: 'jumprelu', dIn: 8, dSae: 24, lr: 1e-2, lrWarmupSteps: 0, jumpReluBandwidth: 0.05 });
    const original = await createSae(config, { sample });
    for (let s = 0; s < 3; s++) await original.step(sample);
    const file = join(mkdtempSync(join(tmpdir(), 'jumprelu-ckpt-')), 'checkpoint.safetensors');
    writeCheckpoint(file, {}, [await original.getState()]);
    const [state] = readCheckpoint(file).states;
    expect(Object.keys(state.extra!).sort()).toEqual([`adamM.${LOG_THRESHOLD}`, `adamV.${LOG_THRESHOLD}`, LOG_THRESHOLD]);
    const restored = await createSae(state.config, { weights: state.params });
    await restored.setState(state);
    const x = data.batch(64, 2);
    const a = await original.step(x);
    const b = await restored.step(x);
    expect(b.loss).toBe(a.loss);
    const [sa, sb] = [await original.getState(), await restored.getState()];
    expect(Array.from(sb.extra![LOG_THRESHOLD])).toEqual(Array.from(sa.extra![LOG_THRESHOLD]));
    expect(Array.from(sb.params.W_enc)).toEqual(Array.from(sa.params.W_enc));
    delete state.extra;
    await expect(restored.setState(state)).rejects.toThrow(/extra "log_threshold"/);
    tf.dispose([x, sample]);
    await original.dispose();
    await restored.dispose();
  });
});
