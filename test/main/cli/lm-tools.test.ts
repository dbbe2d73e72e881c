import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTokens } from '../../../src-main/cli/commands/lm-tools.js';
import { initEngine } from '../../../src-main/engine/backend.js';
import { validateLmTrainConfig } from '../../../src-main/lm/config.js';
import { writeGpt2Folder } from '../../../src-main/lm/export.js';
import { LM_TRAINING_FILE } from '../../../src-main/lm/trainer.js';
import { openSafetensors } from '../../../src-main/io/safetensors.js';
import { randomGpt2Tensors, tinyGpt2Config } from '../../../src-main/model/tiny.js';
import { grammarCorpus, lmConfig, tempOut } from '../lm/fixture.js';
import { runCli } from './run-cli.js';

let model: string;

/** An untrained model is enough to check the commands' wiring; lm/eval.test.ts checks the figures. */
function untrainedModel(): string {
  const config = tinyGpt2Config({ layers: 1, dModel: 16, heads: 2, ctx: 16, seed: 0, overwrite: false });
  const dir = tempOut();
  writeGpt2Folder(dir, config, randomGpt2Tensors(config, 5));
  return dir;
}

beforeAll(async () => {
  await initEngine();
  model = untrainedModel();
});

const EVAL = ['--dataset', grammarCorpus(), '--holdout-every', '5', '--ctx', '8', '--tokens', '64'];

describe('sae-explorer lm eval', () => {
  it('prints the model, bigram and unigram losses on the same positions and their gap', async () => {
    const json = await runCli('lm', 'eval', '--model', model, ...EVAL, '--json');
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(Object.keys(r)).toEqual(['model', 'dataset', 'holdout_every', 'ctx', 'positions', 'train_tokens', 'weight_dtypes', 'model_loss', 'bigram_loss', 'unigram_loss', 'model_minus_bigram', 'lambda', 'lambda_loo_loss', 'settings_from']);
    expect(r).toMatchObject({ model, holdout_every: 5, ctx: 8, positions: 64, weight_dtypes: ['F32'], settings_from: 'defaults' });
    expect(r.model_minus_bigram).toBe(r.model_loss - r.bigram_loss);
    // An untrained model is close to uniform over 50,257 tokens.
    expect(Math.abs(r.model_loss - Math.log(50257))).toBeLessThan(0.5);
    expect(r.bigram_loss).toBeLessThan(r.unigram_loss);

    const text = await runCli('lm', 'eval', '--model', model, ...EVAL);
    expect(text.stdout).toContain('held-out cross-entropy on 64 predicted positions');
    expect(text.stdout).toMatch(new RegExp(`model − bigram: \\+${(r.model_loss - r.bigram_loss).toFixed(4)} nats/token`));
    expect(text.stdout).toMatch(/bigram {3}\d\.\d{4} {2}Jelinek–Mercer, λ = \d\.\d{4} by leave-one-out on the training tokens/);
  });

  it('names a missing model and bad numbers', async () => {
    const missing = await runCli('lm', 'eval', '--model', '/nonexistent/model');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\/nonexistent\/model/);
    const ctx = await runCli('lm', 'eval', '--model', model, ...EVAL, '--ctx', '17');
    expect(ctx.stderr).toContain('--ctx 17 is invalid; expected an integer from 1 to 16');
    const tokens = await runCli('lm', 'eval', '--model', model, '--tokens', 'some');
    expect(tokens.stderr).toContain('--tokens must be a whole number');
    expect(() => parseTokens('--tokens', '0')).toThrow('--tokens must be at least 1 or "all", got "0"');
    expect(parseTokens('--tokens', 'all')).toBe('all');
    expect(parseTokens('--tokens', '16k')).toBe(16000);
  });
});

describe('sae-explorer lm export', () => {
  it('writes an F16 folder and states the held-out loss change', async () => {
    // A run record points the comparison at the small corpus rather than sotu.
    const source = untrainedModel();
    writeFileSync(join(source, LM_TRAINING_FILE), JSON.stringify({ config: validateLmTrainConfig(lmConfig(source, { holdoutEvery: 5 })) }));
    const out = tempOut();
    const r = await runCli('lm', 'export', '--model', source, '--out', out, '--eval-tokens', '64');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`wrote ${out} \\(F16 model.safetensors, \\d+\\.\\d MB\\)`));
    expect(r.stdout).toMatch(/held-out loss on 64 positions of .* \(settings from .*lm_training.json\): source \d+\.\d{4}, F16 \d+\.\d{4} \(change [+-]\d\.\d\de[+-]\d+ nats\/token\)/);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).torch_dtype).toBe('float16');

    const again = await runCli('lm', 'export', '--model', source, '--out', out);
    expect(again.stderr).toContain(`${out} already exists; choose a new folder (the conversion never overwrites)`);
    const dtype = await runCli('lm', 'export', '--model', source, '--out', tempOut(), '--dtype', 'f8');
    expect(dtype.stderr).toContain('--dtype "f8" is not supported; expected f16 or f32');
  });

  it('carries the snapshots along with --with-snapshots, each in the same dtype, and leaves them out without', async () => {
    const source = untrainedModel();
    const config = tinyGpt2Config({ layers: 1, dModel: 16, heads: 2, ctx: 16, seed: 0, overwrite: false });
    for (const step of [4, 12]) writeGpt2Folder(join(source, 'snapshots', `step-${step}`), config, randomGpt2Tensors(config, step));
    const out = tempOut();
    const r = await runCli('lm', 'export', '--model', source, '--out', out, '--with-snapshots');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`wrote ${out} \\(F16 model.safetensors, \\d+\\.\\d MB, snapshots step-4, step-12\\)`));
    for (const step of [4, 12]) {
      const snapshot = join(out, 'snapshots', `step-${step}`);
      expect(JSON.parse(readFileSync(join(snapshot, 'config.json'), 'utf8')).torch_dtype).toBe('float16');
      const weights = openSafetensors(join(snapshot, 'model.safetensors'));
      expect(new Set(weights.names().map((name) => weights.info(name).dtype))).toEqual(new Set(['F16']));
      // Each snapshot keeps its own weights: F16 of the source snapshot's, not the final model's.
      const own = openSafetensors(join(source, 'snapshots', `step-${step}`, 'model.safetensors')).getFloat32('h.0.attn.c_attn.weight');
      const final = openSafetensors(join(source, 'model.safetensors')).getFloat32('h.0.attn.c_attn.weight');
      const stored = weights.getFloat32('h.0.attn.c_attn.weight');
      expect(Math.abs(stored[7]! - own[7]!)).toBeLessThan(1e-4);
      expect(stored[7]).not.toBe(final[7]);
    }
    const without = tempOut();
    expect((await runCli('lm', 'export', '--model', source, '--out', without)).code).toBe(0);
    expect(existsSync(join(without, 'snapshots'))).toBe(false);
  });
});

describe('sae-explorer lm plot', () => {
  it('writes the SVG of a run record, and names bad flags', async () => {
    const run = untrainedModel();
    writeFileSync(join(run, LM_TRAINING_FILE), JSON.stringify({ heldOut: [{ step: 100, tokens: 6400, loss: 5 }], result: { unigramLoss: 6.5 } }));
    const svg = join(run, 'curve.svg');
    const ok = await runCli('lm', 'plot', '--run', run, '--out', svg, '--bigram', '5.5');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('1 held-out points (the run recorded no training-loss history)');
    expect(readFileSync(svg, 'utf8')).toContain('>bigram 5.500</text>');

    const log = join(run, 'train.log');
    writeFileSync(log, 'step 50/100 3.2k/6.4k tokens, 9 tokens/s, ETA 1m | loss 6.100 lr 1e-3 grad norm 1.0\n');
    const withLog = await runCli('lm', 'plot', '--run', join(run, LM_TRAINING_FILE), '--out', svg, '--train-log', log);
    expect(withLog.stdout).toContain('1 held-out points, 1 training points');

    expect((await runCli('lm', 'plot', '--run', run, '--out', join(run, 'curve.png'))).stderr).toContain('the chart is SVG; name the file *.svg');
    expect((await runCli('lm', 'plot', '--run', run, '--out', svg, '--bigram', 'low'))).toMatchObject({ code: 1 });
    expect((await runCli('lm', 'plot', '--run', '/nonexistent/run', '--out', svg)).stderr).toContain('--run /nonexistent/run: not found');
    expect(existsSync(join(run, 'curve.png'))).toBe(false);
  });
});

describe('sae-explorer lm sample', () => {
  it('continues each prompt: greedy is the argmax path, a seed reproduces a sample, and BOS leads by default', async () => {
    const args = ['lm', 'sample', '--model', model, '--prompt', 'The Congress', 'We', '--max-tokens', '5', '--json'];
    const greedy = await runCli(...args);
    expect(greedy.code, greedy.stderr).toBe(0);
    const lines = greedy.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.prompt, l.seed, l.temperature, l.ids.length])).toEqual([['The Congress', null, 0, 5], ['We', null, 0, 5]]);

    const { loadModelAndTokenizer } = await import('../../../src-main/cli/io.js');
    const loaded = await loadModelAndTokenizer(model);
    try {
      const ids = [loaded.tokenizer.eotId, ...loaded.tokenizer.encode('The Congress')];
      expect(lines[0].ids).toEqual(loaded.model.generate(ids, { maxNewTokens: 5, temperature: 0 }).slice(ids.length));
      expect(lines[0].continuation).toBe(loaded.tokenizer.decode(lines[0].ids));
      const plain = JSON.parse((await runCli('lm', 'sample', '--model', model, '--prompt', 'The Congress', '--max-tokens', '5', '--no-bos', '--json')).stdout);
      const body = loaded.tokenizer.encode('The Congress');
      expect(plain.ids).toEqual(loaded.model.generate(body, { maxNewTokens: 5, temperature: 0 }).slice(body.length));
    } finally {
      loaded.model.dispose();
    }

    const sampled = ['lm', 'sample', '--model', model, '--prompt', 'We', '--max-tokens', '6', '--temperature', '1', '--samples', '2', '--seed', '7', '--json'];
    const a = (await runCli(...sampled)).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const b = (await runCli(...sampled)).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(a.map((l) => l.seed)).toEqual([7, 8]);
    expect(a).toEqual(b);

    const text = await runCli('lm', 'sample', '--model', model, '--prompt', 'We', '--max-tokens', '3');
    const three = JSON.parse((await runCli('lm', 'sample', '--model', model, '--prompt', 'We', '--max-tokens', '3', '--json')).stdout);
    expect(text.stdout).toBe(`We${three.continuation}\n`);
  });

  it('names bad flags', async () => {
    expect((await runCli('lm', 'sample', '--model', model, '--prompt', 'We', '--samples', '2')).stderr).toContain('--samples > 1 needs --temperature > 0');
    expect((await runCli('lm', 'sample', '--model', model, '--prompt', 'We', '--temperature', 'hot')).stderr).toContain('--temperature must be a number, got "hot"');
    expect((await runCli('lm', 'sample', '--model', model, '--prompt', 'We', '--max-tokens', '0')).stderr).toContain('--max-tokens must be at least 1');
    expect((await runCli('lm', 'sample', '--model', model, '--prompt', 'We', '--max-tokens', '40')).stderr).toContain("more than the model's context of 16");
    expect((await runCli('lm', 'sample', '--model', model, '--prompt', 'We', '--max-tokens', '3', '--top-k', '0', '--temperature', '1')).stderr).toContain('topK must be an integer');
  });
});
