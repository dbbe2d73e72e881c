import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend.js';
import { totalSteps, validateLmTrainConfig } from '../../../src-main/lm/config.js';
import { evaluateLm, modelHeldOutLoss, readEvalData, resolveEvalSettings } from '../../../src-main/lm/eval.js';
import { convertGpt2Folder, writeGpt2Folder } from '../../../src-main/lm/export.js';
import { LM_TRAINING_FILE, trainLm, type LmTrainOutcome } from '../../../src-main/lm/trainer.js';
import { openSafetensors } from '../../../src-main/io/safetensors.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { randomGpt2Tensors, tinyGpt2Config } from '../../../src-main/model/tiny.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import { lmConfig, tempOut } from './fixture.js';

let run: { out: string; config: Record<string, unknown>; outcome: LmTrainOutcome };

beforeAll(async () => {
  await initEngine();
  const out = tempOut();
  // The fixture's 100 steps: past the plateau at the unigram loss, so the model has learned something to measure.
  const config = lmConfig(out);
  run = { out, config, outcome: await trainLm(config) };
});

describe('lm eval', () => {
  it('on a run\'s folder reproduces the trainer\'s own held-out and unigram losses on the same positions', async () => {
    const result = run.outcome.result!;
    const model = await loadGpt2(run.out);
    const settings = resolveEvalSettings(run.out, model.config.nPositions);
    const trained = validateLmTrainConfig(run.config);
    expect(settings).toEqual({ dataset: trained.dataset, textField: 'text', holdoutEvery: 5, ctx: 16, evalTokens: 256, trainWindows: totalSteps(trained) * 32, source: join(run.out, LM_TRAINING_FILE) });
    const r = await evaluateLm(model, run.out, settings, await readEvalData(settings, await loadTokenizer(run.out)));
    model.dispose();
    console.log('model', r.modelLoss, 'bigram', r.bigramLoss, 'unigram', r.unigramLoss, 'λ', r.lambda, '(trainer: held-out', result.heldOutLoss, ')');
    expect(r.positions).toBe(256);
    expect(r.weightDtypes).toEqual(['F32']);
    // The same windows: the unigram is the trainer's figure bit for bit; the model's differs only by
    // float32 summation (the trainer's compact softmax against the app's full 50,257-way one).
    expect(r.unigramLoss).toBe(result.unigramLoss);
    expect(r.modelLoss).toBeCloseTo(result.heldOutLoss, 3);
    expect(r.modelLoss).toBeLessThan(r.unigramLoss - 0.5);
    expect(r.bigramLoss).toBeLessThan(r.unigramLoss);
  });

  it('takes explicit settings over the run record, and names a bad value', async () => {
    const settings = resolveEvalSettings(run.out, 16, { holdoutEvery: 4, ctx: 8, tokens: 'all' });
    // Another split than the run's: the baselines count every training window, not the run's.
    expect(settings).toMatchObject({ holdoutEvery: 4, ctx: 8, evalTokens: Infinity, trainWindows: Infinity });
    expect(() => resolveEvalSettings(run.out, 16, { ctx: 17 })).toThrow('--ctx 17 is invalid; expected an integer from 1 to 16');
    expect(() => resolveEvalSettings(run.out, 16, { holdoutEvery: 1 })).toThrow('--holdout-every 1 is invalid; expected an integer from 2 up');
    expect(() => resolveEvalSettings(run.out, 16, { tokens: 0 })).toThrow('--tokens 0 is invalid');
    const broken = tempOut();
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, LM_TRAINING_FILE), '{"config": {"ctx": "wide"}}');
    expect(() => resolveEvalSettings(broken, 16)).toThrow(`${join(broken, LM_TRAINING_FILE)}: not a run record of lm train`);
    // Without a record: sotu, every 20th document, the model's whole context.
    expect(resolveEvalSettings(dirname(broken), 128)).toMatchObject({ dataset: 'sotu', holdoutEvery: 20, ctx: 128, evalTokens: 16384, source: 'defaults' });
  });
});

describe('lm export to F16', () => {
  it('writes a folder the app loads, half the size, with config, tokenizer and run record kept and a held-out loss within F16 rounding', async () => {
    const f16 = tempOut();
    const { bytes } = convertGpt2Folder(run.out, f16, 'F16');
    const st = openSafetensors(join(f16, 'model.safetensors'));
    expect(new Set(st.names().map((n) => st.info(n).dtype))).toEqual(new Set(['F16']));
    expect(bytes).toBe(statSync(join(f16, 'model.safetensors')).size);
    expect(bytes / statSync(join(run.out, 'model.safetensors')).size).toBeCloseTo(0.5, 2);
    expect(JSON.parse(readFileSync(join(f16, 'config.json'), 'utf8'))).toEqual({ ...JSON.parse(readFileSync(join(run.out, 'config.json'), 'utf8')), torch_dtype: 'float16' });
    for (const file of ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'generation_config.json', LM_TRAINING_FILE]) {
      expect(readFileSync(join(f16, file)).equals(readFileSync(join(run.out, file))), file).toBe(true);
    }
    expect(existsSync(join(f16, 'checkpoint.safetensors'))).toBe(false);

    const settings = resolveEvalSettings(run.out, 16);
    const { heldOut } = await readEvalData(settings, await loadTokenizer(run.out));
    const [full, half] = [await loadGpt2(run.out), await loadGpt2(f16)];
    const [a, b] = [await modelHeldOutLoss(full, heldOut), await modelHeldOutLoss(half, heldOut)];
    full.dispose();
    half.dispose();
    console.log('held-out loss F32', a, 'F16', b);
    expect(b).not.toBe(a);
    expect(Math.abs(b - a)).toBeLessThan(5e-3);
  });

  it('refuses an existing --out and weights beyond F16\'s range, leaving nothing behind', () => {
    expect(() => convertGpt2Folder(run.out, run.out, 'F16')).toThrow('already exists');
    const config = tinyGpt2Config({ layers: 1, dModel: 8, heads: 2, ctx: 4, seed: 0, overwrite: false });
    const tensors = randomGpt2Tensors(config, 1);
    tensors.get('h.0.mlp.c_fc.bias')!.data[3] = 70000;
    const source = tempOut();
    writeGpt2Folder(source, config, tensors);
    const target = tempOut();
    expect(() => convertGpt2Folder(source, target, 'F16')).toThrow(`${source}: tensor "h.0.mlp.c_fc.bias" holds 70000 at index 3, beyond F16's largest value 65504; keep this model F32`);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dirname(target))).toEqual([]);
    const f32 = tempOut();
    convertGpt2Folder(source, f32, 'F32');
    expect(openSafetensors(join(f32, 'model.safetensors')).getFloat32('h.0.mlp.c_fc.bias')[3]).toBe(70000);
  });
});
