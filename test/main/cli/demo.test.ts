import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src-main/store/open.js';
import { mapData } from '../../../src-main/store/queries.js';
import { runCli } from './run-cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-demo-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('sae-explorer demo', () => {
  it('fills a workspace with the shipped model, a trained family, its harvest and one map, then reuses all of it', async () => {
    const workspace = path.join(root, 'ws');
    // The default model and site at reduced sizes and tokens, so CI stays within seconds of CPU.
    const args = ['demo', '--workspace', workspace, '--expansion', '1,2', '--tokens', '4096', '--harvest-tokens', '2000', '--batch', '512', '--eval-tokens', '1024'];
    const first = await runCli(...args);
    expect(first.stderr).not.toMatch(/demo stopped/);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/copied the shipped model into .*models\/sotu-gpt2/);
    expect(first.stdout).toMatch(/Done: 2 SAEs \(128, 256 latents\) of sotu-gpt2 on blocks\.2\.hook_resid_pre/);
    expect(fs.existsSync(path.join(workspace, 'models', 'sotu-gpt2', 'model.safetensors'))).toBe(true);

    const family = path.join(workspace, 'saes', 'demo-sotu-gpt2-blocks.2.hook_resid_pre');
    const record = JSON.parse(fs.readFileSync(path.join(family, 'family.json'), 'utf8'));
    expect(record).toMatchObject({ sizes: [128, 256], k: 16, dataset: 'sotu' });
    for (const size of [128, 256]) expect(fs.existsSync(path.join(family, String(size), 'sae_weights.safetensors'))).toBe(true);

    const store = openStore(path.join(workspace, 'db', 'features.sqlite'), { readonly: true });
    const map = mapData(store, { familyId: 1 });
    store.close();
    expect(map.saeIndex.length).toBe(128 + 256);
    expect([...map.xy, ...map.xyz].every(Number.isFinite)).toBe(true);

    const second = await runCli(...args);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toMatch(/copied the shipped model/);
    expect(second.stderr).toMatch(/is already trained; reusing it/);
    expect(second.stderr).toMatch(/is already harvested and mapped in .*features\.sqlite; reusing them/);
    expect(second.stderr).not.toMatch(/\$ sae-explorer (train|harvest|umap)/);
  }, 300_000); // the whole pipeline twice: the limit guards against a hang, it is not a speed check
});
