import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { bf16ArrayToFloat32, f16ArrayToFloat32, float32ArrayToBF16, float32ArrayToF16 } from '../../../src-main/io/half.js';
import { writeSafetensors, type TensorToWrite } from '../../../src-main/io/safetensors.js';
import { toHfConfigJson, type Gpt2Config } from '../../../src-main/model/config.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { buildModel, randomTokens, randomWeights, relativeMaxDiff, testConfig, tokensTensor } from './fixtures.js';
import type { HostWeights } from './reference.js';

const root = mkdtempSync(path.join(tmpdir(), 'gpt2-load-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const config = testConfig();
const weights = randomWeights(config, 21);
const rows = randomTokens(2, 5, config.vocabSize, 4);

let counter = 0;
function writeModel(tensors: Record<string, TensorToWrite>, c: Gpt2Config = config): string {
  const dir = path.join(root, `m${counter++}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(toHfConfigJson(c)));
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  return dir;
}

function asTensors(w: HostWeights, dtype: 'F32' | 'F16' | 'BF16' = 'F32', prefix = ''): Record<string, TensorToWrite> {
  return Object.fromEntries([...w].map(([name, t]) => [`${prefix}${name}`, { dtype, shape: t.shape, data: t.data }]));
}

function logitsAndEmbed(model: Gpt2): { logits: Float32Array; embed: Float32Array } {
  const tokens = tokensTensor(rows);
  const { logits, cache } = model.run(tokens, { cache: ['hook_embed'] });
  const out = { logits: logits!.dataSync() as Float32Array, embed: cache.get('hook_embed')!.dataSync() as Float32Array };
  tf.dispose([tokens, logits!, ...cache.values()]);
  model.dispose();
  return out;
}

const reference = logitsAndEmbed(buildModel(config, weights));

function expectedEmbed(wte: Float32Array): number[] {
  return rows.flat().flatMap((id) => Array.from(wte.subarray(id * config.nEmbd, (id + 1) * config.nEmbd)));
}

describe('loadGpt2', () => {
  it('loads names with the transformer. prefix, ignoring lm_head and the attention mask buffers', async () => {
    const tensors = asTensors(weights, 'F32', 'transformer.');
    tensors['lm_head.weight'] = { dtype: 'F32', shape: [config.vocabSize, config.nEmbd], data: new Float32Array(config.vocabSize * config.nEmbd) };
    tensors['transformer.h.0.attn.bias'] = { dtype: 'U8', shape: [1, 1, 4, 4], data: new Uint8Array(16) };
    tensors['h.1.attn.masked_bias'] = { dtype: 'F32', shape: [], data: new Float32Array([-1e4]) };
    const loaded = logitsAndEmbed(await loadGpt2(writeModel(tensors)));
    expect(Array.from(loaded.logits)).toEqual(Array.from(reference.logits));
  });

  it('loads F16 and BF16 checkpoints: weights are the rounded values, logits match F32 within rounding', async () => {
    for (const [dtype, round, tolerance] of [
      ['F16', (x: Float32Array) => f16ArrayToFloat32(float32ArrayToF16(x)), 2e-3],
      ['BF16', (x: Float32Array) => bf16ArrayToFloat32(float32ArrayToBF16(x)), 2e-2],
    ] as const) {
      const loaded = logitsAndEmbed(await loadGpt2(writeModel(asTensors(weights, dtype))));
      expect(Array.from(loaded.embed), dtype).toEqual(expectedEmbed(round(weights.get('wte.weight')!.data)));
      const { relative } = relativeMaxDiff(loaded.logits, reference.logits);
      expect(relative, dtype).toBeLessThan(tolerance);
      expect(relative, dtype).toBeGreaterThan(0);
    }
  });

  it('loads a sharded checkpoint through model.safetensors.index.json', async () => {
    const dir = path.join(root, 'sharded');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(toHfConfigJson(config)));
    const names = [...weights.keys()];
    const shards = [names.slice(0, 10), names.slice(10)];
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(path.join(dir, file), asTensors(new Map(shard.map((n) => [n, weights.get(n)!]))));
      for (const n of shard) weightMap[n] = file;
    });
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    expect(Array.from(logitsAndEmbed(await loadGpt2(dir)).logits)).toEqual(Array.from(reference.logits));
  });

  it('names the tensor, its shape and the expected shape when config and weights disagree', async () => {
    const tensors = asTensors(weights);
    tensors['h.1.mlp.c_fc.weight'] = { dtype: 'F32', shape: [32, 100], data: new Float32Array(3200) };
    const dir = writeModel(tensors);
    await expect(loadGpt2(dir)).rejects.toThrow(`${dir}/model.safetensors: tensor "h.1.mlp.c_fc.weight" has shape [32, 100], but config.json implies [32, 128]`);
    const wider = writeModel(asTensors(weights), { ...config, nEmbd: 64 });
    await expect(loadGpt2(wider)).rejects.toThrow(/tensor "h.0.attn.c_attn.bias" has shape \[96\], but config.json implies \[192\]/);
  });

  it('names missing, unexpected and wrongly typed tensors', async () => {
    const missing = asTensors(weights);
    delete missing['h.0.ln_2.bias'];
    await expect(loadGpt2(writeModel(missing))).rejects.toThrow(/model.safetensors: missing tensor "h.0.ln_2.bias"$/);
    await expect(loadGpt2(writeModel(asTensors(weights), { ...config, nLayer: 3 }))).rejects.toThrow(
      /model.safetensors: config.json says n_layer 3, but the checkpoint holds 2 layers \(h.0 to h.1\)$/,
    );
    // Found by the fuzz suite: listing the 12 tensors of each of 2^31 layers hung the loader.
    await expect(loadGpt2(writeModel(asTensors(weights), { ...config, nLayer: 2 ** 31 }))).rejects.toThrow(
      'config.json says n_layer 2147483648, but the checkpoint holds 2 layers',
    );
    const noLastLayer = asTensors(weights);
    for (const name of Object.keys(noLastLayer)) if (name.startsWith('h.1.')) delete noLastLayer[name];
    await expect(loadGpt2(writeModel(noLastLayer))).rejects.toThrow('config.json says n_layer 2, but the checkpoint holds 1 layer (h.0 to h.0)');
    await expect(loadGpt2(writeModel(asTensors(weights), { ...config, nLayer: 1 }))).rejects.toThrow(
      /unexpected tensor "h.1.\S+", which is not a parameter of a 1-layer GPT-2/,
    );
    const ints = asTensors(weights);
    ints['wpe.weight'] = { dtype: 'I32', shape: [16, 32], data: new Int32Array(512) };
    await expect(loadGpt2(writeModel(ints))).rejects.toThrow('tensor "wpe.weight" has dtype I32; expected F32, F16 or BF16');
  });

  it('explains a folder without model.safetensors or config.json', async () => {
    const dir = path.join(root, 'pickle-only');
    mkdirSync(dir);
    await expect(loadGpt2(dir)).rejects.toThrow(`${dir}/config.json: not found; a GPT-2 model folder needs config.json and model.safetensors`);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(toHfConfigJson(config)));
    await expect(loadGpt2(dir)).rejects.toThrow(`${dir}/model.safetensors: not found`);
    writeFileSync(path.join(dir, 'pytorch_model.bin'), 'pickle');
    await expect(loadGpt2(dir)).rejects.toThrow(`${dir}: has only pytorch_model.bin, a pickle this app does not read`);
    writeFileSync(path.join(dir, 'config.json'), '{"n_layer": 2,');
    await expect(loadGpt2(dir)).rejects.toThrow(`${dir}/config.json: not valid JSON`);
  });

  it('leaves no tensors behind when loading fails', async () => {
    const before = tf.memory().numTensors;
    const missing = asTensors(weights);
    delete missing['ln_f.weight'];
    await expect(loadGpt2(writeModel(missing))).rejects.toThrow(/ln_f.weight/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
