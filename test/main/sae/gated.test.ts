// Gated SAE: the hand-written gradients against a plain float64 loop of the paper's loss (eq. 8), that
// loop against central differences with the frozen decoder copy held fixed, training, SAELens export
// and import, and checkpoint state.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { loadSaeLens, saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { gatedGradients } from '../../../src-main/sae/gated.js';
import { createSae, validateSaeConfig } from '../../../src-main/sae/index.js';
import { createSaeRunner } from '../../../src-main/sae/inference.js';
import { seededNormal } from '../../../src-main/sae/init.js';
import { readCheckpoint, writeCheckpoint } from '../../../src-main/train/checkpoint.js';
import { plantedDictionary } from './planted.js';

const meta = { modelName: 'synthetic', hookName: 'blocks.0.hook_resid_post', contextSize: 64, prependBos: true };
const KEYS = ['W_enc', 'b_gate', 'r_mag', 'b_mag', 'W_dec', 'b_dec'] as const;
type Plain = Record<(typeof KEYS)[number], number[]>;

/**
 * Loss and gradients in float64; `frozen` is the decoder copy of the auxiliary term (no gradient
 * flows into it), so central differences of this loss in `p` are exactly the step's gradients.
 */
function plainLoop(x: number[][], p: Plain, frozen: Pick<Plain, 'W_dec' | 'b_dec'>, dSae: number, mseScale: number, l1Weight: number) {
  const B = x.length;
  const dIn = x[0].length;
  const g = Object.fromEntries(KEYS.map((k) => [k, p[k].map(() => 0)])) as Plain;
  let loss = 0;
  for (const xt of x) {
    const xc = xt.map((v, d) => v - p.b_dec[d]);
    const dot = (i: number) => xc.reduce((s, v, d) => s + v * p.W_enc[d * dSae + i], 0);
    const shared = Array.from({ length: dSae }, (_, i) => dot(i));
    const piGate = shared.map((s, i) => s + p.b_gate[i]);
    const piMag = shared.map((s, i) => s * Math.exp(p.r_mag[i]) + p.b_mag[i]);
    const z = piGate.map((pg, i) => (pg > 0 ? Math.max(0, piMag[i]) : 0));
    const gateActs = piGate.map((pg) => Math.max(0, pg));
    const decode = (code: number[], W: number[], b: number[]) => xt.map((_, d) => b[d] + code.reduce((s, c, i) => s + c * W[i * dIn + d], 0));
    const residual = decode(z, p.W_dec, p.b_dec).map((v, d) => v - xt[d]);
    const auxResidual = decode(gateActs, frozen.W_dec, frozen.b_dec).map((v, d) => v - xt[d]);
    loss += (mseScale / B) * (residual.reduce((s, r) => s + r * r, 0) + auxResidual.reduce((s, r) => s + r * r, 0)) + (l1Weight / B) * gateActs.reduce((s, a) => s + a, 0);
    const dOut = residual.map((r) => (2 * mseScale * r) / B);
    const dAux = auxResidual.map((r) => (2 * mseScale * r) / B);
    for (let d = 0; d < dIn; d++) g.b_dec[d] += dOut[d];
    for (let i = 0; i < dSae; i++) {
      let dz = 0;
      let dGate = 0;
      for (let d = 0; d < dIn; d++) {
        dz += dOut[d] * p.W_dec[i * dIn + d];
        dGate += dAux[d] * frozen.W_dec[i * dIn + d];
        g.W_dec[i * dIn + d] += z[i] * dOut[d];
      }
      const dPiMag = piGate[i] > 0 && piMag[i] > 0 ? dz : 0;
      const dPiGate = piGate[i] > 0 ? dGate + l1Weight / B : 0;
      g.b_mag[i] += dPiMag;
      g.b_gate[i] += dPiGate;
      g.r_mag[i] += dPiMag * shared[i] * Math.exp(p.r_mag[i]);
      for (let d = 0; d < dIn; d++) {
        g.W_enc[d * dSae + i] += (dPiMag * Math.exp(p.r_mag[i]) + dPiGate) * xc[d];
        g.b_dec[d] -= (dPiMag * Math.exp(p.r_mag[i]) + dPiGate) * p.W_enc[d * dSae + i];
      }
    }
  }
  return { loss, g };
}

function maxRelative(actual: ArrayLike<number>, expected: number[]): number {
  const scale = Math.max(1e-6, ...expected.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / scale;
}

describe('gated SAE', () => {
  const dIn = 6;
  const dSae = 10;
  const plain: Plain = {
    W_enc: Array.from(seededNormal(dIn * dSae, 1), (v) => v * 0.5),
    b_gate: Array.from(seededNormal(dSae, 2), (v) => v * 0.2),
    r_mag: Array.from(seededNormal(dSae, 3), (v) => v * 0.3),
    b_mag: Array.from(seededNormal(dSae, 4), (v) => v * 0.2),
    W_dec: Array.from(seededNormal(dSae * dIn, 5), (v) => v * 0.4),
    b_dec: Array.from(seededNormal(dIn, 6), (v) => v * 0.2),
  };
  const xs = Array.from({ length: 16 }, (_, t) => Array.from(seededNormal(dIn, 100 + t)));
  const settings = { mseScale: 0.2, l1Weight: 0.05 };

  it('hand-written gradients match the plain float64 loop of eq. 8, for every parameter', () => {
    const reference = plainLoop(xs, plain, plain, dSae, settings.mseScale, settings.l1Weight);
    const tensors = {
      W_enc: tf.tensor2d(plain.W_enc, [dIn, dSae]),
      b_gate: tf.tensor1d(plain.b_gate),
      r_mag: tf.tensor1d(plain.r_mag),
      b_mag: tf.tensor1d(plain.b_mag),
      W_dec: tf.tensor2d(plain.W_dec, [dSae, dIn]),
      b_dec: tf.tensor1d(plain.b_dec),
    };
    const x = tf.tensor2d(xs);
    const { grads, sse, auxSse, gateL1 } = gatedGradients(x, tensors, settings);
    expect((settings.mseScale * (sse + auxSse) + settings.l1Weight * gateL1) / xs.length).toBeCloseTo(reference.loss, 5);
    for (const key of KEYS) {
      const error = maxRelative(grads[key].dataSync(), reference.g[key]);
      console.log(`gated ${key}: largest difference ${error.toExponential(2)} of max |g|`);
      // Measured ≤ 1e-6 (float32 rounding); a wrong or missing term is ≥ 1e-2.
      expect(error).toBeLessThan(1e-5);
    }
    tf.dispose([...Object.values(tensors), ...Object.values(grads), x]);
  });

  it('the plain loop\'s gradients are the loss\'s derivatives with the frozen decoder copy held fixed (central differences)', () => {
    const frozen = { W_dec: plain.W_dec, b_dec: plain.b_dec };
    const { g } = plainLoop(xs, plain, frozen, dSae, settings.mseScale, settings.l1Weight);
    const h = 1e-6;
    for (const key of KEYS) {
      const numeric = plain[key].map((_, i) => {
        const shifted = (by: number) => ({ ...plain, [key]: plain[key].map((v, j) => (j === i ? v + by : v)) });
        const up = plainLoop(xs, shifted(h), frozen, dSae, settings.mseScale, settings.l1Weight).loss;
        const down = plainLoop(xs, shifted(-h), frozen, dSae, settings.mseScale, settings.l1Weight).loss;
        return (up - down) / (2 * h);
      });
      const error = maxRelative(g[key], numeric);
      console.log(`gated ${key} vs central differences: ${error.toExponential(2)} of max |g|`);
      expect(error).toBeLessThan(1e-6);
    }
  });

  it('trains on a planted dictionary, and the SAELens export encodes exactly as the app; a checkpoint continues exactly', async () => {
    const data = plantedDictionary(16, 32, 3, 2);
    const sample = data.batch(512, 500);
    const config = validateSaeConfig({ architecture: 'gated', dIn: 16, dSae: 64, lr: 1e-2, lrWarmupSteps: 0, l1Coefficient: 0.05, normalizeActivations: 'none' });
    const sae = await createSae(config, { sample });
    let last;
    for (let s = 0; s < 100; s++) {
      const x = data.batch(128, s);
      last = await sae.step(x);
      x.dispose();
    }
    console.log(`gated: fvu ${last!.metrics.fvu.toFixed(3)}, L0 ${last!.metrics.l0.toFixed(1)}, losses ${JSON.stringify(last!.losses)}`);
    expect(last!.metrics.fvu).toBeLessThan(0.2);
    expect(last!.metrics.l0).toBeLessThan(32);
    expect(Object.keys(last!.losses)).toEqual(['mse', 'l1', 'aux']);

    const dir = mkdtempSync(join(tmpdir(), 'gated-'));
    saveSaeLens(dir, await sae.toBundle(meta));
    expect(JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8')).architecture).toBe('gated');
    const loaded = loadSaeLens(dir);
    expect(loaded.spec.architecture).toBe('gated');
    expect(loaded.weights.r_mag!.some((v) => v !== 0)).toBe(true); // r_mag was trained
    const x = data.batch(64, 9999);
    const inApp = await sae.encodeDense(x);
    const runner = createSaeRunner(loaded);
    const exported = runner.encode(x);
    const [mismatch, active] = tf.tidy(() => [inApp.sub(exported).abs().max().dataSync()[0], inApp.greater(0).sum().dataSync()[0]]);
    expect(active).toBeGreaterThan(0);
    expect(mismatch).toBeLessThan(1e-5);

    const file = join(dir, 'checkpoint.safetensors');
    writeCheckpoint(file, {}, [await sae.getState()]);
    const [state] = readCheckpoint(file).states;
    const restored = await createSae(state.config, { weights: state.params });
    await restored.setState(state);
    const [a, b] = [await sae.step(x), await restored.step(x)];
    expect(b.loss).toBe(a.loss);
    expect(Array.from((await restored.getState()).extra!.r_mag)).toEqual(Array.from((await sae.getState()).extra!.r_mag));
    runner.dispose();
    tf.dispose([x, inApp, exported, sample]);
    await sae.dispose();
    await restored.dispose();
  });
});
