import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { steerGenerate } from '../../../src-main/causal/steer.js';
import { promotedTokens, strengthSweep } from '../../../src-main/causal/sweep.js';
import { tf } from '../../../src-main/engine/backend.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { createSaeRunner, type SaeRunner } from '../../../src-main/sae/inference.js';
import { D_MODEL, randomTopKSae } from '../features/harvest-fixtures.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-sweep-'));
const prompt = [50256, 464, 3290, 4966, 284];
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

describe('strengthSweep', () => {
  it('tracks the promoted tokens rising with strength, and each row continues as steerGenerate does', () => {
    const tokens = promotedTokens(model, sae, 5, 3);
    const { lnF, wte } = model.readout();
    const expected = tf.tidy(() => Array.from(tf.topk(tf.matMul(sae.decoderRows([5]).mul(lnF.weight), wte.transpose()).reshape([-1]), 3).indices.dataSync()));
    expect(tokens).toEqual(expected);
    const strengths = [0, 10, 20, 40];
    const rows = strengthSweep(model, sae, prompt, { latents: [5], strengths, tokens, maxNewTokens: 4 });
    expect(rows.map((r) => r.strength)).toEqual(strengths);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.probs[0]!).toBeGreaterThan(rows[i - 1]!.probs[0]!);
    rows.forEach((row) => {
      const steered = steerGenerate(model, sae, prompt, { maxNewTokens: 4, temperature: 0, intervention: { mode: 'add', latents: [{ latent: 5, value: row.strength }] } });
      expect(row.ids).toEqual(steered.steered);
    });
    expect(rows[0]!.ids).toEqual(steerGenerate(model, sae, prompt, { maxNewTokens: 4, temperature: 0, intervention: { mode: 'add', latents: [{ latent: 5, value: 0 }] } }).baseline);
  });
});
