import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { inspectText } from '../../../src-main/features/inspect.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { createSaeRunner, type SaeRunner } from '../../../src-main/sae/inference.js';
import type { Gpt2Tokenizer } from '../../../src-main/tokenizer/bpe.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import type { HookName } from '../../../src-shared/hooks.js';
import { HOOK, randomTopKSae } from './harvest-fixtures.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-inspect-'));
let model: Gpt2;
let sae: SaeRunner;
let tokenizer: Gpt2Tokenizer;

beforeAll(async () => {
  const dir = path.join(root, 'model');
  createTinyModel(dir, { layers: 2, dModel: 16, heads: 2, ctx: 64, seed: 3 });
  model = await loadGpt2(dir);
  tokenizer = await loadTokenizer(dir);
  sae = createSaeRunner(randomTopKSae(32, 9, 4));
});
afterAll(() => {
  sae?.dispose();
  model?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('inspectText', () => {
  it('lists the strongest latents per token and one latent on every token, as a dense encode gives', async () => {
    const text = 'The dog ran to Paris.';
    const result = await inspectText(model, sae, tokenizer, text, { top: 3, latent: 5 });
    const ids = tokenizer.encode(text);
    expect(result.tokens.map((t) => t.id)).toEqual(ids);
    expect(result.tokens[1].text).toBe(tokenizer.displayToken(ids[1]));

    const dense = tf.tidy(() => {
      const { cache } = model.run(tf.tensor2d([[50256, ...ids]], undefined, 'int32'), { cache: [HOOK as HookName], stopAt: HOOK as HookName });
      const x = cache.get(HOOK as HookName)!.slice([0, 1, 0], [1, ids.length, 16]).reshape([ids.length, 16]) as tf.Tensor2D; // [pos, d_model]
      return sae.encode(x); // [pos, d_sae]
    });
    const z = dense.arraySync() as number[][];
    dense.dispose();
    z.forEach((row, p) => {
      const expected = row
        .map((act, latent) => ({ latent, act }))
        .filter((e) => e.act > 0)
        .sort((a, b) => b.act - a.act)
        .slice(0, 3);
      expect(result.perToken[p].map((e) => e.latent)).toEqual(expected.map((e) => e.latent));
      result.perToken[p].forEach((e, j) => expect(e.act).toBeCloseTo(expected[j].act, 5));
      expect(result.latent!.acts[p]).toBeCloseTo(row[5], 5);
    });
    expect(result.perToken.every((row) => row.length === 3)).toBe(true);
  });

  it('rejects a latent out of range and a text longer than the context', async () => {
    await expect(inspectText(model, sae, tokenizer, 'hi', { latent: 32 })).rejects.toThrow(/latent 32 is out of range: the SAE has latents 0..31/);
    await expect(inspectText(model, sae, tokenizer, 'word '.repeat(80))).rejects.toThrow(/longer than the model's context of 64/);
  });
});
