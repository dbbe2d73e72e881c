import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { startHubServer } from '../../fixtures/hub-server.js';

const root = mkdtempSync(path.join(tmpdir(), 'cli-model-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));


describe('sae-explorer model create-tiny', () => {
  const out = path.join(root, 'tiny');
  const flags = ['--out', out, '--layers', '1', '--d-model', '16', '--heads', '2', '--ctx', '24', '--seed', '3'];

  it('writes the folder and prints its path', async () => {
    expect(await runCli('model', 'create-tiny', ...flags)).toEqual({ code: 0, stdout: `${out}\n`, stderr: '' });
    const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect([config.n_layer, config.n_embd, config.n_head, config.n_positions, config.vocab_size]).toEqual([1, 16, 2, 24, 50257]);
  });

  it('refuses to overwrite without --force, with a one-line reason, then replaces with it', async () => {
    const refused = await runCli('model', 'create-tiny', ...flags);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`sae-explorer: ${out} is not empty; refusing to overwrite it (--force replaces it)\n`);
    const before = readFileSync(path.join(out, 'model.safetensors'));
    expect((await runCli('model', 'create-tiny', ...flags, '--seed', '4', '--force')).code).toBe(0);
    expect(readFileSync(path.join(out, 'model.safetensors')).equals(before)).toBe(false);
    expect(readdirSync(root)).toEqual(['tiny']);
  });

  it('rejects malformed numbers and a missing --out', async () => {
    const bad = await runCli('model', 'create-tiny', '--out', path.join(root, 'x'), '--layers', 'two');
    expect(bad).toMatchObject({ code: 1, stderr: 'sae-explorer: --layers must be a non-negative integer, got "two"\n' });
    const missing = await runCli('model', 'create-tiny');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--out <dir>' not specified/);
  });
});

describe('sae-explorer model pull', () => {
  it('downloads a Hub model into the HF cache (HF_ENDPOINT, HF_HUB_CACHE), prints the folder, which loads', async () => {
    const tiny = createTinyModel(path.join(root, 'served'), { layers: 1, dModel: 16, heads: 2, ctx: 16 });
    const files = Object.fromEntries(['config.json', 'model.safetensors'].map((f) => [f, readFileSync(path.join(tiny, f))]));
    const server = await startHubServer({ models: { 'openai-community/gpt2': { commit: 'a'.repeat(40), files, lfs: ['model.safetensors'] } } });
    const saved = { endpoint: process.env.HF_ENDPOINT, cache: process.env.HF_HUB_CACHE, offline: process.env.HF_HUB_OFFLINE };
    process.env.HF_ENDPOINT = server.url;
    process.env.HF_HUB_CACHE = path.join(root, 'hf-cache');
    delete process.env.HF_HUB_OFFLINE;
    try {
      const { code, stdout } = await runCli('model', 'pull', 'openai-community/gpt2');
      expect(code).toBe(0);
      const dir = stdout.trim();
      expect(dir).toBe(path.join(root, 'hf-cache', 'models--openai-community--gpt2', 'snapshots', 'a'.repeat(40)));
      expect(readFileSync(path.join(dir, 'model.safetensors')).equals(files['model.safetensors'])).toBe(true);
      const model = await loadGpt2(dir);
      expect(model.config).toMatchObject({ nLayer: 1, nEmbd: 16, nPositions: 16 });
      model.dispose();
    } finally {
      await server.close();
      for (const [key, value] of [['HF_ENDPOINT', saved.endpoint], ['HF_HUB_CACHE', saved.cache], ['HF_HUB_OFFLINE', saved.offline]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
