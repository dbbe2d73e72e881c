// JumpReLU and Matryoshka BatchTopK runs end to end on the tiny model: a Matryoshka run trains one SAE
// whose nested prefixes become the family's sizes (a SAELens folder each, evaluated, in family.json),
// resumes exactly from a checkpoint, and a JumpReLU run exports its learned thresholds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { loadSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { createSaeRunner } from '../../../src-main/sae/inference.js';
import type { TrainEvent } from '../../../src-main/train/events.js';
import { validateTrainRunConfig } from '../../../src-main/train/config.js';
import { saeConfigFor } from '../../../src-main/train/family.js';
import { FAMILY_FILE, trainFamily } from '../../../src-main/train/trainer.js';
import { maxAbsDiff, runConfig, saeWeights, tempOut, tinyModel } from './fixture.js';

describe('training runs of the newer architectures', () => {
  it('matryoshka: one SAE of the largest size, its prefixes saved, evaluated and listed as the family\'s sizes', async () => {
    const model = await tinyModel();
    const out = tempOut();
    const events: TrainEvent[] = [];
    const result = await trainFamily(runConfig(out, { arch: 'matryoshka', latents: [64, 16, 32] }), { model, onEvent: (e) => events.push(e) });
    expect(result.status).toBe('finished');
    expect(result.results.map((r) => r.dSae)).toEqual([16, 32, 64]);
    // One SAE is trained: progress has one line, with the prefixes' summed loss beside the whole dictionary's.
    const progress = events.filter((e) => e.type === 'progress').at(-1)!;
    expect(progress.perSae.map((s) => s.dSae)).toEqual([64]);
    expect(Object.keys(progress.perSae[0].losses)).toEqual(expect.arrayContaining(['mse', 'matryoshka']));

    const whole = saeWeights(join(out, '64'));
    for (const r of result.results) {
      expect(r.k).toBe(4);
      expect(r.trainFvu).toBeGreaterThan(0);
      expect(r.evalFvu).toBeGreaterThan(0);
      expect(r.trainL0).toBeGreaterThan(0);
      const bundle = loadSaeLens(join(out, String(r.dSae)));
      expect(bundle.spec).toMatchObject({ architecture: 'batchtopk', dSae: r.dSae, matryoshkaPrefixes: [16, 32, 64] });
      const cfg = JSON.parse(readFileSync(join(out, String(r.dSae), 'cfg.json'), 'utf8'));
      expect(cfg.architecture).toBe('jumprelu');
      expect(cfg.metadata.sae_explorer).toMatchObject({ architecture: 'matryoshka_batchtopk', matryoshka_prefixes: [16, 32, 64], k: 4 });
      // A prefix is the whole dictionary's first d_sae latents.
      const prefix = saeWeights(join(out, String(r.dSae)));
      expect(maxAbsDiff(prefix.W_dec, whole.W_dec.slice(0, r.dSae * 32))).toBe(0);
      expect(maxAbsDiff(prefix.threshold, whole.threshold.slice(0, r.dSae))).toBe(0);
    }
    // A smaller prefix reconstructs worse and uses fewer latents than the whole dictionary.
    expect(result.results[0].trainL0!).toBeLessThan(result.results[2].trainL0!);
    expect(result.results[0].evalFvu!).toBeGreaterThan(result.results[2].evalFvu!);

    // Each prefix encodes exactly what the whole dictionary encodes on those latents.
    const x = tf.tidy(() => tf.randomNormal([20, 32], 0, 3, 'float32', 5) as tf.Tensor2D);
    const wholeRunner = createSaeRunner(loadSaeLens(join(out, '64')));
    const prefixRunner = createSaeRunner(loadSaeLens(join(out, '16')));
    const [a, b] = [wholeRunner.encode(x), prefixRunner.encode(x)];
    expect(tf.tidy(() => a.slice([0, 0], [20, 16]).sub(b).abs().max().dataSync()[0])).toBe(0);
    tf.dispose([x, a, b]);
    wholeRunner.dispose();
    prefixRunner.dispose();

    const familyJson = JSON.parse(readFileSync(join(out, FAMILY_FILE), 'utf8'));
    expect(familyJson).toMatchObject({ architecture: 'matryoshka', sizes: [16, 32, 64], k: 4 });
    expect(familyJson.saes.map((s: { path: string }) => s.path)).toEqual(['16', '32', '64']);
    expect(familyJson.saes[0].train.train_fvu).toBe(result.results[0].trainFvu);
    // Each prefix has its own curve (its own FVU), but no dead fraction of its own; the whole SAE has one.
    const [h16, , h64] = familyJson.saes.map((s: { history: { train_fvu: number[]; dead_frac: number[] | null } }) => s.history);
    expect(h16.train_fvu.at(-1)).toBe(result.results[0].trainFvu);
    expect(h16.train_fvu).not.toEqual(h64.train_fvu);
    expect(h16.dead_frac).toBeNull();
    expect(h64.dead_frac).toHaveLength(h64.train_fvu.length);
    model.dispose();
  });

  it('matryoshka: a cancelled run resumes from its checkpoint to the same weights as an uninterrupted one', async () => {
    const model = await tinyModel();
    const config = { arch: 'matryoshka', latents: [16, 64], evalTokens: 0, checkpointEvery: 0 };
    const straight = tempOut();
    await trainFamily(runConfig(straight, config), { model });
    const interrupted = tempOut();
    const controller = new AbortController();
    const first = await trainFamily(runConfig(interrupted, { ...config, logEvery: 1 }), {
      model,
      signal: controller.signal,
      onEvent: (e) => (e.type === 'progress' && e.step === 3 ? setImmediate(() => controller.abort()) : undefined),
    });
    expect(first.status).toBe('cancelled');
    // The checkpoint's config holds the prefixes as a list: it must still be recognised as this run's.
    const resumed = await trainFamily(runConfig(interrupted, { ...config, resume: true }), { model });
    expect(resumed.status).toBe('finished');
    for (const n of [16, 64]) {
      const [a, b] = [saeWeights(join(straight, String(n))), saeWeights(join(interrupted, String(n)))];
      for (const name of ['W_enc', 'W_dec', 'b_enc', 'b_dec', 'threshold']) expect(maxAbsDiff(a[name], b[name])).toBeLessThan(1e-5);
    }
    model.dispose();
  });

  it('jumprelu: trains, exports learned thresholds as SAELens JumpReLU and is evaluated; k is not reported', async () => {
    const model = await tinyModel();
    const out = tempOut();
    const result = await trainFamily(runConfig(out, { arch: 'jumprelu', latents: [64], l0Coefficient: 1e-3 }), { model });
    expect(result.status).toBe('finished');
    const [r] = result.results;
    expect(r.k).toBeNull();
    expect(r.evalFvu).toBeGreaterThan(0);
    expect(r.evalL0).toBeGreaterThan(0);
    const bundle = loadSaeLens(join(out, '64'));
    expect(bundle.spec.architecture).toBe('jumprelu');
    expect(bundle.weights.threshold!.every((t) => t > 0)).toBe(true);
    model.dispose();
  });

  it('gated: trains and exports SAELens gated weights (b_gate, b_mag, r_mag), evaluated; k is not reported', async () => {
    const model = await tinyModel();
    const out = tempOut();
    const result = await trainFamily(runConfig(out, { arch: 'gated', latents: [64], l1Coefficient: 0.05 }), { model });
    expect(result.status).toBe('finished');
    const [r] = result.results;
    expect(r.k).toBeNull();
    expect(r.evalFvu).toBeGreaterThan(0);
    expect(r.evalL0).toBeGreaterThan(0);
    expect(Object.keys(saeWeights(join(out, '64'))).sort()).toEqual(['W_dec', 'W_enc', 'b_dec', 'b_gate', 'b_mag', 'r_mag']);
    expect(loadSaeLens(join(out, '64')).spec.architecture).toBe('gated');
    model.dispose();
  });

  it('validates the architecture-specific fields by name', () => {
    const base = runConfig('/tmp/unused');
    expect(() => validateTrainRunConfig({ ...base, arch: 'matryoshka', latents: [64] })).toThrow(/"latents" = \[64\] is invalid; expected at least two sizes for arch "matryoshka"/);
    expect(() => validateTrainRunConfig({ ...base, arch: 'topk', l0Coefficient: 0.01 })).toThrow(/"l0Coefficient" = 0.01 is invalid; .*applies to arch "jumprelu"/);
    expect(() => validateTrainRunConfig({ ...base, arch: 'topk', jumpReluThreshold: 0.2 })).toThrow(/"jumpReluThreshold" = 0.2 is invalid; .*applies to arch "jumprelu"/);
    expect(() => validateTrainRunConfig({ ...base, arch: 'jumprelu', jumpReluThreshold: 0 })).toThrow(/"jumpReluThreshold" = 0 is invalid; expected a finite number > 0/);
    // The run's initial threshold reaches the SAE; without one the paper's 0.001 stands.
    expect(saeConfigFor(validateTrainRunConfig({ ...base, arch: 'jumprelu', jumpReluThreshold: 0.2 }), 4, 64).jumpReluInitThreshold).toBe(0.2);
    expect(saeConfigFor(validateTrainRunConfig({ ...base, arch: 'jumprelu' }), 4, 64).jumpReluInitThreshold).toBe(0.001);
    expect(() => validateTrainRunConfig({ ...base, arch: 'vanilla' })).toThrow(/"arch" = "vanilla" is invalid; expected one of topk, relu, batchtopk, jumprelu, gated, matryoshka/);
  });
});
