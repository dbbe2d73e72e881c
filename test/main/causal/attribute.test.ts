import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ablateAtLast, attribute } from '../../../src-main/causal/attribute.js';
import { interventionHook } from '../../../src-main/causal/intervention.js';
import { tf } from '../../../src-main/engine/backend.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import type { Hook } from '../../../src-main/model/hooks.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { createSaeRunner, type SaeRunner } from '../../../src-main/sae/inference.js';
import type { SaeBundle } from '../../../src-main/sae/types.js';
import { D_MODEL, randomTopKSae } from '../features/harvest-fixtures.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-attribute-'));
const prompt = [50256, 464, 3290, 4966, 284, 6342, 13, 383];
const target = 262;
let model: Gpt2;
const runners: SaeRunner[] = [];

function sae(hookName: string, seed: number, change: Partial<SaeBundle['spec']> = {}): SaeRunner {
  const bundle = randomTopKSae(32, seed, 4);
  Object.assign(bundle.spec, { hookName, ...change });
  const runner = createSaeRunner(bundle);
  runners.push(runner);
  return runner;
}

beforeAll(async () => {
  const dir = path.join(root, 'model');
  createTinyModel(dir, { layers: 2, dModel: D_MODEL, heads: 2, ctx: 64, seed: 3 });
  model = await loadGpt2(dir);
});
afterAll(() => {
  for (const r of runners) r.dispose();
  model?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

/** The target's logit after the last position with the hooks. */
function targetLogit(hooks: Hook[] = []): number {
  return tf.tidy(() => model.run(tf.tensor2d([prompt], undefined, 'int32'), { hooks }).logits!.slice([0, prompt.length - 1, target], [1, 1, 1]).dataSync()[0]!);
}

describe('attribute', () => {
  it('direct effects + the error term + the bias terms + the rest of the stream add up to the target logit, at every site', () => {
    const last = sae('blocks.1.hook_resid_post', 9);
    const early = sae('blocks.0.hook_resid_post', 10);
    const normalised = sae('blocks.1.hook_resid_mid', 11, { normalizeActivations: 'layer_norm' });
    const result = attribute(model, [last, early, normalised], prompt, target);
    expect(result.logit).toBeCloseTo(targetLogit(), 5);
    expect(result.lnFinalScale).toBeGreaterThan(0);
    for (const site of result.sites) {
      const sum = site.latents.reduce((a, l) => a + l.direct, 0) + site.error.direct + site.bias + site.rest + result.lnFinalBias;
      expect(Math.abs(sum - result.logit), site.hookName).toBeLessThan(1e-4 * Math.max(1, Math.abs(result.logit)));
      expect(site.latents).toHaveLength(4);
    }
    // At the last residual site nothing is written after it; earlier, the later block is the rest.
    expect(Math.abs(result.sites[0]!.rest)).toBeLessThan(1e-6);
    expect(Math.abs(result.sites[1]!.rest)).toBeGreaterThan(1e-4);
  });

  it('ranks latents by total effect, which equals clamping the latent to 0 at the last position', () => {
    const site = sae('blocks.0.hook_resid_post', 12);
    const [{ latents, error }] = attribute(model, [site], prompt, target).sites;
    const sizes = latents.map((l) => Math.abs(l.total.logit));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    const clean = targetLogit();
    for (const l of latents) {
      expect(l.activation).toBeGreaterThan(0);
      const ablated = targetLogit([interventionHook(site, { mode: 'clamp', latents: [{ latent: l.latent, value: 0 }], fromPosition: prompt.length - 1 }, 2)]);
      expect(l.total.logit).toBeCloseTo(clean - ablated, 4);
    }
    expect(error.total.logit).not.toBe(0);
  });

  it('ablating an inactive latent changes nothing; an active one does', () => {
    const site = sae('blocks.0.hook_resid_post', 12);
    const [{ latents }] = attribute(model, [site], prompt, target).sites;
    const activeIds = new Set(latents.map((l) => l.latent));
    const inactive = Array.from({ length: 32 }, (_, i) => i).find((i) => !activeIds.has(i))!;
    const { latents: [off, on] } = ablateAtLast(model, site, prompt, target, [inactive, latents[0]!.latent]);
    expect(off).toEqual({ logit: 0, logProb: 0 });
    expect(on!.logit).toBeCloseTo(latents[0]!.total.logit, 5);
    expect(on!.logit).not.toBe(0);
  });

  it('refuses a target outside the vocabulary and an SAE off the residual stream', () => {
    expect(() => attribute(model, [sae('blocks.1.hook_resid_post', 9)], prompt, 50257)).toThrow('target token 50257 is outside the vocabulary 0..50256');
    expect(() => attribute(model, [sae('blocks.0.ln1.hook_normalized', 9)], prompt, 5)).toThrow(/SAE on blocks.0.ln1.hook_normalized: attribution needs an SAE on a site that adds into the residual stream/);
    const twice = [sae('blocks.0.hook_resid_post', 1), sae('blocks.0.hook_resid_post', 2)];
    expect(() => attribute(model, twice, prompt, 5)).toThrow(/two SAEs read the same site/);
  });
});
