import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { tf } from '../../../src-main/engine/backend.js';
import { openSafetensors } from '../../../src-main/io/safetensors.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';

const root = mkdtempSync(path.join(tmpdir(), 'cli-run-'));
const modelDir = path.join(root, 'tiny');
let model: Gpt2;

beforeAll(async () => {
  process.env.HF_HUB_OFFLINE = '1';
  createTinyModel(modelDir, { layers: 1, dModel: 16, heads: 2, ctx: 24, seed: 3 });
  model = await loadGpt2(modelDir);
});
afterAll(() => {
  model.dispose();
  rmSync(root, { recursive: true, force: true });
});


/** The tiny model's own logits at the last position and mean loss, computed without the CLI. */
function reference(ids: number[]): { last: Float32Array; loss: number } {
  const tokens = tf.tensor2d(ids, [1, ids.length], 'int32');
  const { logits } = model.run(tokens);
  const last = logits!.slice([0, ids.length - 1, 0], [1, 1, 50257]).dataSync() as Float32Array;
  const loss = ids.length > 1 ? model.meanLoss(tokens) : NaN;
  tf.dispose([tokens, logits!]);
  return { last, loss };
}

describe('sae-explorer run --json', () => {
  it('prints one object: the ids fed with BOS, the top 10 logits at the last position, and the mean loss', async () => {
    const { code, stdout, stderr } = await runCli('run', '--model', modelDir, '--text', 'Hello world', '--json');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(stdout);
    expect(Object.keys(out)).toEqual(['tokens', 'top', 'loss']);
    expect(out.tokens).toEqual([50256, 15496, 995]);

    const { last, loss } = reference(out.tokens);
    const expectedTop = Array.from(last.keys()).sort((a, b) => last[b] - last[a]).slice(0, 10);
    expect(out.top.map((t: { id: number }) => t.id)).toEqual(expectedTop);
    out.top.forEach((t: { id: number; logit: number }) => expect(t.logit).toBeCloseTo(last[t.id], 5));
    expect(out.top[0]).toHaveProperty('token');
    expect(typeof out.top[0].token).toBe('string');
    expect(out.loss).toBeCloseTo(loss, 4);
    expect(out.loss).toBeGreaterThan(5); // random weights: near ln(50257) = 10.8
  });

  it('feeds no BOS with --no-bos, and reports loss null for a single token', async () => {
    const two = JSON.parse((await runCli('run', '--model', modelDir, '--text', 'Hello world', '--json', '--no-bos')).stdout);
    expect(two.tokens).toEqual([15496, 995]);
    expect(two.loss).toBeCloseTo(reference([15496, 995]).loss, 4);
    const one = JSON.parse((await runCli('run', '--model', modelDir, '--text', 'Hello', '--json', '--no-bos')).stdout);
    expect(one.tokens).toEqual([15496]);
    expect(one.loss).toBeNull();
    expect(one.top).toHaveLength(10);
  });

  it('prints a readable summary without --json', async () => {
    const { code, stdout } = await runCli('run', '--model', modelDir, '--text', 'Hello world');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^tokens \(3\): <\|endoftext\|> \| Hello \| ·world\nloss: \d+\.\d{4} nats\/token\ntop next tokens:\n/);
    expect(stdout.trim().split('\n')).toHaveLength(13);
  });
});

describe('sae-explorer run --save-activations', () => {
  it('writes one F32 tensor per hook without the batch axis, equal to the model cache', async () => {
    const file = path.join(root, 'acts.safetensors');
    const hooks = ['blocks.0.hook_resid_post', 'blocks.0.attn.hook_pattern'];
    const { code, stderr } = await runCli('run', '--model', modelDir, '--text', 'Hi there', '--json', '--save-activations', file, '--hooks', hooks.join(','));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const saved = openSafetensors(file);
    expect(saved.names().sort()).toEqual([...hooks].sort());
    expect(saved.info('blocks.0.hook_resid_post')).toEqual({ dtype: 'F32', shape: [3, 16] });
    expect(saved.info('blocks.0.attn.hook_pattern')).toEqual({ dtype: 'F32', shape: [2, 3, 3] });
    expect(JSON.parse(saved.metadata.tokens)).toEqual([50256, 17250, 612]);

    const tokens = tf.tensor2d([50256, 17250, 612], [1, 3], 'int32');
    const { logits, cache } = model.run(tokens, { cache: ['blocks.0.hook_resid_post'] });
    const expected = cache.get('blocks.0.hook_resid_post')!.dataSync();
    const got = saved.getFloat32('blocks.0.hook_resid_post');
    expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-5);
    // Attention rows are probabilities over the causal prefix.
    const pattern = saved.getFloat32('blocks.0.attn.hook_pattern');
    expect(pattern[0]).toBeCloseTo(1, 5);
    expect(pattern[1]).toBe(0);
    tf.dispose([tokens, logits!, ...cache.values()]);
  });

  it('rejects an unknown hook before running, leaving no file', async () => {
    const file = path.join(root, 'bad-hook.safetensors');
    const before = readdirSync(root);
    const bad = await runCli('run', '--model', modelDir, '--text', 'Hi', '--json', '--save-activations', file, '--hooks', 'blocks.0.hook_resid_post,blocks.0.hook_nope');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^sae-explorer: --hooks: unknown hook name "blocks.0.hook_nope": expected .*\n$/);
    const deep = await runCli('run', '--model', modelDir, '--text', 'Hi', '--save-activations', file, '--hooks', 'blocks.5.hook_resid_post');
    expect(deep.stderr).toBe('sae-explorer: --hooks: hook "blocks.5.hook_resid_post" names layer 5, but the model has layers 0..0\n');
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(root)).toEqual(before);
  });

  it('needs --save-activations and --hooks together', async () => {
    const { code, stderr } = await runCli('run', '--model', modelDir, '--text', 'Hi', '--hooks', 'blocks.0.hook_resid_post');
    expect(code).toBe(1);
    expect(stderr).toBe('sae-explorer: --save-activations FILE and --hooks H1,H2 go together: give both or neither\n');
  });
});

describe('sae-explorer run errors', () => {
  it('refuses text longer than the context, saying both lengths', async () => {
    const { code, stdout, stderr } = await runCli('run', '--model', modelDir, '--text', 'word '.repeat(30).trim(), '--json');
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe("sae-explorer: --text is 31 tokens with BOS, more than the model's context of 24 (n_positions); shorten it\n");
  });

  it('fails on a missing model folder with a one-line reason', async () => {
    const missing = path.join(root, 'no-such-model');
    const { code, stdout, stderr } = await runCli('run', '--model', missing, '--text', 'Hi', '--json');
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(/^sae-explorer: .*no-such-model.*\n$/);
  });

  it('exits 2 when a required flag is missing', async () => {
    const { code, stderr } = await runCli('run', '--model', modelDir);
    expect(code).toBe(2);
    expect(stderr).toMatch(/required option '--text <text>' not specified/);
  });
});
