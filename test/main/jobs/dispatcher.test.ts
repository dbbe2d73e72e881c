import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { API_METHODS, isShellMethod, type ModelEntry } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-dispatch-'));
const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

const TINY = { name: 'tiny', layers: 1, dModel: 8, heads: 2, ctx: 16, seed: 3 };

describe('Dispatcher', () => {
  it('creates the workspace folders and answers workspace.info', async () => {
    for (const dir of ['models', 'datasets', 'saes', 'db']) expect(existsSync(path.join(root, dir))).toBe(true);
    const response = await dispatcher.call('workspace.info', {});
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    expect(response).toEqual({ ok: true, result: { root, backend: null, version, node: { version: process.version, path: process.execPath } } });
  });

  it('creates a tiny model that the listing then shows, with provenance', async () => {
    const created = await dispatcher.call('workspace.createTinyModel', TINY);
    expect(created.ok).toBe(true);
    const model = (created as { result: ModelEntry }).result;
    expect(model).toMatchObject({ id: 'tiny', nLayers: 1, dModel: 8, nHeads: 2, nCtx: 16, vocabSize: 50257 });
    expect(model.provenance).toBe('tiny random GPT-2 (1 layers, d_model 8, 2 heads, ctx 16, seed 3)');
    expect(model.sizeBytes).toBeGreaterThan(50257 * 8 * 4);
    const listing = await dispatcher.call('workspace.list', {});
    expect(listing.ok && listing.result).toMatchObject({ models: [{ id: 'tiny', path: path.join(root, 'models', 'tiny') }] });
  });

  it('refuses a taken name and bad options without writing anything', async () => {
    expect(await dispatcher.call('workspace.createTinyModel', TINY)).toMatchObject({ ok: false, error: { code: 'conflict' } });
    const bad = await dispatcher.call('workspace.createTinyModel', { name: 'odd', dModel: 10, heads: 4 });
    expect(bad).toEqual({ ok: false, error: { code: 'bad_request', message: 'createTinyModel: dModel (10) must be divisible by heads (4)' } });
    expect(existsSync(path.join(root, 'models', 'odd'))).toBe(false);
  });

  it('answers every request with an envelope, never a throw', async () => {
    for (const method of API_METHODS) {
      const response = await dispatcher.call(method, { surely: 'not a field' });
      expect(response.ok).toBe(false);
      // The shell's requests are refused whatever their params: a compute process opens no workspaces.
      expect(response.ok === false && response.error.code, method).toBe(isShellMethod(method) ? 'not_available' : 'bad_request');
    }
    expect(await dispatcher.call('no.such' as never, {})).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('checks what a request names before saying its backend is missing', async () => {
    const train = { model: 'tiny', dataset: 'embedded:sotu', hook: 'blocks.0.hook_resid_post', latents: [32, 64], k: 4, tokens: 1000, family: 'fam' };
    expect(await dispatcher.call('training.start', { ...train, model: 'gpt9' })).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining('(have: tiny)') } });
    expect(await dispatcher.call('training.start', { ...train, latents: [2] })).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('≥ k (4)') } });
    expect(await dispatcher.call('features.page', { model: 'tiny', sae: 'fam/64', latent: 0 })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const jobs = await dispatcher.call('jobs.list', {});
    expect(jobs).toEqual({ ok: true, result: [] });
  });
});
