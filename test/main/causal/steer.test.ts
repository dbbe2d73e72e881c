import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interventionHook, type Intervention } from '../../../src-main/causal/intervention.js';
import { steerGenerate, steerSteps } from '../../../src-main/causal/steer.js';
import { tf } from '../../../src-main/engine/backend.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import type { Hook } from '../../../src-main/model/hooks.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { createSaeRunner, type SaeRunner } from '../../../src-main/sae/inference.js';
import type { HookName } from '../../../src-shared/hooks.js';
import { D_MODEL, HOOK, randomTopKSae } from '../features/harvest-fixtures.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-steer-'));
const prompt = [50256, 464, 3290, 4966, 284, 6342, 13];
let model: Gpt2;
let sae: SaeRunner;

beforeAll(async () => {
  const dir = path.join(root, 'model');
  createTinyModel(dir, { layers: 2, dModel: D_MODEL, heads: 2, ctx: 64, seed: 3 });
  model = await loadGpt2(dir);
  sae = createSaeRunner(randomTopKSae(32, 9, 4));
});
afterAll(() => {
  sae?.dispose();
  model?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Last-position logits of `ids` with the given hooks: [vocab]. */
function lastLogits(ids: number[], hooks: Hook[] = []): Float32Array {
  const logits = tf.tidy(() => {
    const out = model.run(tf.tensor2d([ids], undefined, 'int32'), { hooks }).logits!; // [1, pos, vocab]
    return out.slice([0, ids.length - 1, 0], [1, 1, -1]).reshape([-1]); // [vocab]
  });
  const values = logits.dataSync() as Float32Array;
  logits.dispose();
  return values;
}

/** The SAE's latents at every position of `ids`: [pos][d_sae]. */
function latents(ids: number[]): number[][] {
  const z = tf.tidy(() => {
    const { cache } = model.run(tf.tensor2d([ids], undefined, 'int32'), { cache: [HOOK as HookName], stopAt: HOOK as HookName });
    return sae.encode(cache.get(HOOK as HookName)!.reshape([ids.length, D_MODEL]) as tf.Tensor2D); // [pos, d_sae]
  });
  const rows = z.arraySync() as number[][];
  z.dispose();
  return rows;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('steerSteps', () => {
  it('grows both completions a token at a time to exactly what steerGenerate returns, and refuses bad input before any token', () => {
    const opts = { maxNewTokens: 5, temperature: 1.2, seed: 2, intervention: { mode: 'add' as const, latents: [{ latent: 3, value: 25 }] } };
    const { seed, steps } = steerSteps(model, sae, prompt, opts);
    const seen = [...steps];
    expect(seed).toBe(2);
    expect(seen.map((s) => [s.baseline.length, s.steered.length])).toEqual([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]);
    // Every step extends the one before, so a screen showing them never rewrites a token.
    seen.slice(1).forEach((s, i) => expect(s.baseline.slice(0, i + 1)).toEqual(seen[i]!.baseline));
    const whole = steerGenerate(model, sae, prompt, opts);
    expect(seen.at(-1)).toEqual({ baseline: whole.baseline, steered: whole.steered });
    expect(whole.steered).not.toEqual(whole.baseline);
    expect(() => steerSteps(model, sae, prompt, { ...opts, intervention: { mode: 'add', latents: [{ latent: 32, value: 1 }] } })).toThrow('latents[0] is 32; the SAE has latents 0..31');
  });

  it('stopped early, frees both KV caches', () => {
    const before = tf.memory().numTensors;
    const { steps } = steerSteps(model, sae, prompt, { maxNewTokens: 8, temperature: 0, intervention: { mode: 'add', latents: [{ latent: 3, value: 5 }] } });
    steps.next();
    steps.next();
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    steps.return();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('steerGenerate', () => {
  it('with strength 0 equals the baseline exactly, greedy and seeded', () => {
    const zero: Intervention = { mode: 'add', latents: [{ latent: 3, value: 0 }, { latent: 7, value: 0 }] };
    const greedy = steerGenerate(model, sae, prompt, { maxNewTokens: 12, temperature: 0, intervention: zero });
    expect(greedy.steered).toEqual(greedy.baseline);
    expect(greedy.baseline).toHaveLength(12);
    expect(greedy.seed).toBeNull();
    const sampled = steerGenerate(model, sae, prompt, { maxNewTokens: 12, temperature: 1.5, seed: 11, intervention: zero });
    expect(sampled.steered).toEqual(sampled.baseline);
    expect(sampled.seed).toBe(11);
    expect(sampled.baseline).not.toEqual(greedy.baseline);
  });

  it('clamping a latent to its own current value changes nothing; to another value, something', () => {
    const last = prompt.length - 1;
    const row = latents(prompt)[last];
    const active = row.findIndex((v) => v > 0);
    expect(active).toBeGreaterThanOrEqual(0);
    const clamp = (value: number) => interventionHook(sae, { mode: 'clamp', latents: [{ latent: active, value }], fromPosition: last }, 2);
    const baseline = lastLogits(prompt);
    const same = lastLogits(prompt, [clamp(row[active])]);
    expect(maxAbsDiff(same, baseline)).toBeLessThan(1e-5);
    expect(model.generate(prompt, { maxNewTokens: 3, temperature: 0, hooks: [clamp(row[active])] })).toEqual(model.generate(prompt, { maxNewTokens: 3, temperature: 0 }));
    // The same change through decode without the error term would move the logits: the error is not 0.
    expect(maxAbsDiff(lastLogits(prompt, [clamp(row[active] + 5)]), baseline)).toBeGreaterThan(1e-3);
  });

  it('clamping moves the activation by (value − current) × the decoder row, for an SAE without input normalisation', () => {
    const z = latents(prompt);
    const captured: tf.Tensor[] = [];
    const capture: Hook = { name: HOOK as HookName, fn: (x) => void captured.push(tf.keep(x.clone())) };
    lastLogits(prompt, [capture]);
    lastLogits(prompt, [interventionHook(sae, { mode: 'clamp', latents: [{ latent: 5, value: 3.5 }] }, 2), capture]);
    const [before, after] = captured.map((t) => t.arraySync() as number[][][]);
    tf.dispose(captured);
    const row = Array.from(sae.decoderRows([5]).dataSync());
    z.forEach((zp, p) => {
      const expected = before[0][p].map((x, j) => x + (3.5 - zp[5]) * row[j]);
      expect(maxAbsDiff(after[0][p], expected)).toBeLessThan(1e-4);
    });
  });

  it('steers from a position on through the KV cache exactly as a full recompute does', () => {
    // At block 0, so that steering earlier positions reaches later ones through block 1's attention.
    const bundle = randomTopKSae(32, 9, 4);
    bundle.spec.hookName = 'blocks.0.hook_resid_post';
    const early = createSaeRunner(bundle);
    try {
      const iv: Intervention = { mode: 'add', latents: [{ latent: 2, value: 1.5 }, { latent: 9, value: -1 }], fromPosition: 5 };
      const cached = steerGenerate(model, early, prompt, { maxNewTokens: 8, temperature: 0, intervention: iv });
      const recomputed = [...prompt];
      for (let i = 0; i < 8; i++) recomputed.push(argmax(lastLogits(recomputed, [interventionHook(early, iv, 2)])));
      expect(cached.steered).toEqual(recomputed.slice(prompt.length));
      expect(cached.steered).not.toEqual(cached.baseline);
      // Steering only the generated tokens is another intervention, with other text.
      expect(steerGenerate(model, early, prompt, { maxNewTokens: 8, temperature: 0, intervention: { ...iv, fromPosition: prompt.length } }).steered).not.toEqual(cached.steered);
    } finally {
      early.dispose();
    }
  });

  it('a large positive strength on a latent whose logit effect favours token t raises p(t)', () => {
    const { lnF, wte } = model.readout();
    // Plant latent 0's decoder direction along γ ⊙ wte[1000], centred, so its logit effect has a clear favourite t.
    const direction = tf.tidy(() => {
      const d = wte.slice([1000, 0], [1, D_MODEL]).reshape([D_MODEL]).mul(lnF.weight);
      const centred = d.sub(d.mean());
      return centred.div(centred.norm()).dataSync() as Float32Array;
    });
    const bundle = randomTopKSae(32, 9, 4);
    bundle.weights.W_dec.set(direction, 0);
    const planted = createSaeRunner(bundle);
    try {
      const t = tf.tidy(() => tf.matMul(tf.tensor2d(direction, [1, D_MODEL]).mul(lnF.weight), wte.transpose()).reshape([-1]).argMax().dataSync()[0]);
      const probability = (hooks: Hook[]) => tf.tidy(() => tf.softmax(tf.tensor1d(lastLogits(prompt, hooks))).dataSync()[t]);
      const before = probability([]);
      const after = probability([interventionHook(planted, { mode: 'add', latents: [{ latent: 0, value: 40 }] }, 2)]);
      // The tiny model's logits are nearly flat over 50,257 tokens (0.02-scale weights), so being the top token is a small p.
      expect(after).toBeGreaterThan(before * 1.2);
      const steered = steerGenerate(model, planted, prompt, { maxNewTokens: 2, temperature: 0, intervention: { mode: 'add', latents: [{ latent: 0, value: 40 }] } });
      expect(steered.steered[0]).toBe(t);
      expect(steered.baseline[0]).not.toBe(t);
    } finally {
      planted.dispose();
    }
  });

  it('refuses bad interventions with errors naming the value', () => {
    const run = (iv: Intervention) => () => steerGenerate(model, sae, prompt, { maxNewTokens: 1, temperature: 0, intervention: iv });
    expect(run({ mode: 'add', latents: [{ latent: 32, value: 1 }] })).toThrow('latents[0] is 32; the SAE has latents 0..31');
    expect(run({ mode: 'add', latents: [] })).toThrow('at least one latent');
    expect(run({ mode: 'add', latents: [{ latent: 1, value: 1 }, { latent: 1, value: 2 }] })).toThrow('latent 1 is listed twice');
    expect(run({ mode: 'clamp', latents: [{ latent: 1, value: Number.NaN }] })).toThrow('the value of latent 1 must be a finite number');
    expect(run({ mode: 'scale' as never, latents: [{ latent: 1, value: 1 }] })).toThrow('intervention mode must be add or clamp, got "scale"');
    expect(run({ mode: 'add', latents: [{ latent: 1, value: 1 }], fromPosition: -1 })).toThrow('fromPosition must be a non-negative integer, got -1');
  });
});

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
