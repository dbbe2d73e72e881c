import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interventionHook } from '../../../src-main/causal/intervention.js';
import { tokenEffects } from '../../../src-main/causal/token-effects.js';
import { tf } from '../../../src-main/engine/backend.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import type { Hook } from '../../../src-main/model/hooks.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { createSaeRunner, type SaeRunner } from '../../../src-main/sae/inference.js';
import { D_MODEL, randomTopKSae } from '../features/harvest-fixtures.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-token-effects-'));
const ids = [50256, 464, 3290, 4966, 284, 6342, 13, 383, 3290];
let model: Gpt2;
let sae: SaeRunner;

beforeAll(async () => {
  const dir = path.join(root, 'model');
  createTinyModel(dir, { layers: 2, dModel: D_MODEL, heads: 2, ctx: 64, seed: 3 });
  model = await loadGpt2(dir);
  const bundle = randomTopKSae(8, 4, 3);
  bundle.spec.hookName = 'blocks.0.hook_resid_post';
  sae = createSaeRunner(bundle);
});
afterAll(() => {
  sae?.dispose();
  model?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

/** log p(ids[p+1]) at position p with the hooks. */
function nextLogProb(p: number, hooks: Hook[] = []): number {
  return tf.tidy(() => tf.logSoftmax(model.run(tf.tensor2d([ids], undefined, 'int32'), { hooks }).logits!.slice([0, p, 0], [1, 1, -1]).reshape([-1])).dataSync()[ids[p + 1]!]!);
}

describe('tokenEffects', () => {
  it('at each active position, equals clamping the latent to 0 there alone; elsewhere 0; null at the end', () => {
    const latent = [...Array(8).keys()].find((l) => {
      const { acts } = tokenEffects(model, sae, ids, l);
      return acts.some((a) => a > 0) && acts.some((a, p) => a === 0 && p + 1 < ids.length);
    })!;
    expect(latent).toBeDefined();
    const { acts, effects } = tokenEffects(model, sae, ids, latent);
    expect(effects.at(-1)).toBeNull();
    acts.forEach((act, p) => {
      if (p + 1 === ids.length) return;
      if (act === 0) {
        expect(effects[p]).toBe(0);
        return;
      }
      const ablated = nextLogProb(p, [interventionHook(sae, { mode: 'clamp', latents: [{ latent, value: 0 }], fromPosition: p }, 2)]);
      // Clamping from p on is the same ablation for position p's prediction: later positions cannot reach it.
      expect(effects[p]).toBeCloseTo(nextLogProb(p) - ablated, 4);
      expect(effects[p]).not.toBe(0);
    });
  });

  it('refuses a latent out of range and a single token', () => {
    expect(() => tokenEffects(model, sae, ids, 8)).toThrow('latent 8 is out of range: the SAE has latents 0..7');
    expect(() => tokenEffects(model, sae, [5], 1)).toThrow('token effects need at least 2 tokens, got 1');
  });
});
