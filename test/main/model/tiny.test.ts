import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';

const root = mkdtempSync(path.join(tmpdir(), 'gpt2-tiny-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const small = { layers: 1, dModel: 16, heads: 2, ctx: 32 };
const FILES = ['config.json', 'merges.txt', 'model.safetensors', 'tokenizer_config.json', 'vocab.json'];
const bytes = (dir: string) => FILES.map((f) => readFileSync(path.join(dir, f)));

describe('createTinyModel', () => {
  it('writes a Hugging Face GPT-2 folder with the defaults, which loads and predicts near-uniformly', async () => {
    const dir = createTinyModel(path.join(root, 'default'));
    expect(readdirSync(dir).sort()).toEqual(FILES);
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_layer: 2, n_embd: 64, n_head: 4, n_positions: 128,
      n_ctx: 128, vocab_size: 50257, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, bos_token_id: 50256, eos_token_id: 50256,
    });
    expect(JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')).model_max_length).toBe(128);
    const model = await loadGpt2(dir);
    const tokens = tf.tensor2d([[50256, 15496, 995, 0, 13]], [1, 5], 'int32');
    // std-0.02 weights give nearly flat logits: loss ≈ ln(50257) = 10.825.
    expect(model.meanLoss(tokens)).toBeCloseTo(Math.log(50257), 1);
    tokens.dispose();
    model.dispose();
  });

  it('writes identical bytes for the same seed and different weights for another', () => {
    const a = bytes(createTinyModel(path.join(root, 'a'), { ...small, seed: 7 }));
    const b = bytes(createTinyModel(path.join(root, 'b'), { ...small, seed: 7 }));
    const c = bytes(createTinyModel(path.join(root, 'c'), { ...small, seed: 8 }));
    expect(a.every((buf, i) => buf.equals(b[i]))).toBe(true);
    expect(a[2].equals(c[2])).toBe(false);
    expect(a[2].length).toBe(c[2].length);
  });

  it('refuses a non-empty folder unless asked to overwrite, and replaces it whole when asked', () => {
    const dir = path.join(root, 'busy');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
    expect(() => createTinyModel(dir, small)).toThrow(`${dir} is not empty; refusing to overwrite it (--force replaces it)`);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    createTinyModel(dir, { ...small, overwrite: true });
    expect(readdirSync(dir).sort()).toEqual(FILES);
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    expect(readdirSync(createTinyModel(empty, small)).sort()).toEqual(FILES);
  });

  it('rejects bad options before writing anything', () => {
    const before = readdirSync(root).sort();
    const dir = path.join(root, 'never');
    expect(() => createTinyModel(dir, { dModel: 30, heads: 4 })).toThrow('createTinyModel: dModel (30) must be divisible by heads (4)');
    expect(() => createTinyModel(dir, { layers: 0 })).toThrow('createTinyModel: layers must be a positive integer, got 0');
    expect(() => createTinyModel(dir, { seed: -1 })).toThrow('createTinyModel: seed must be an integer in 0..4294967295, got -1');
    expect(() => createTinyModel(dir, { depth: 3 } as never)).toThrow('createTinyModel: unknown option "depth"');
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(root).sort()).toEqual(before);
  });
});
