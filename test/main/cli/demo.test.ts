import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { openStore } from '../../../src-main/store/open.js';
import { mapBases, mapData } from '../../../src-main/store/queries.js';
import { runCli } from './run-cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-demo-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('sae-explorer demo', () => {
  it('fills a workspace with the shipped model, a trained family, its harvest and one map, then reuses all of it', async () => {
    const workspace = path.join(root, 'ws');
    // The default model and site at reduced sizes and tokens (the checkpoints set's too, once the shipped
    // model carries snapshots), so CI stays within seconds of CPU.
    const args = ['demo', '--workspace', workspace, '--expansion', '1,2', '--tokens', '4096', '--harvest-tokens', '2000', '--batch', '512', '--eval-tokens', '1024', '--checkpoint-tokens', '4096'];
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
    const map = mapData(store, { familyId: 1 }, 'decoder');
    // The demo lays the family out by activation profiles too.
    const bases = mapBases(store, { familyId: 1 });
    store.close();
    expect(bases).toEqual(['decoder', 'activation']);
    expect(map.saeIndex.length).toBe(128 + 256);
    expect([...map.xy, ...map.xyz].every(Number.isFinite)).toBe(true);

    const second = await runCli(...args);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toMatch(/copied the shipped model/);
    expect(second.stderr).toMatch(/is already trained; reusing it/);
    expect(second.stderr).toMatch(/is already harvested and mapped in .*features\.sqlite; reusing them/);
    expect(second.stderr).not.toMatch(/\$ sae-explorer (train|harvest|umap)/);
  }, 300_000); // the whole pipeline twice: the limit guards against a hang, it is not a speed check

  it('trains, harvests and matches a checkpoints set across the snapshots a model folder carries, prints the shares, then reuses it', async () => {
    const workspace = path.join(root, 'ws-checkpoints');
    const model = path.join(root, 'snapshotted');
    const tiny = { layers: 2, dModel: 32, heads: 2, ctx: 64 };
    createTinyModel(model, { ...tiny, seed: 0 });
    // step-3 is another random model; step-9 is the final model itself, so its SAE (same seed, same
    // windows) is the final one's and every latent that fires has a counterpart there.
    createTinyModel(path.join(model, 'snapshots', 'step-3'), { ...tiny, seed: 1 });
    createTinyModel(path.join(model, 'snapshots', 'step-9'), { ...tiny, seed: 0 });
    const args = ['demo', '--workspace', workspace, '--model', model, '--expansion', '2,4', '--tokens', '4096', '--checkpoint-tokens', '4096', '--harvest-tokens', '2000', '--batch', '512', '--eval-tokens', '0'];
    const first = await runCli(...args);
    expect(first.stderr).not.toMatch(/demo stopped/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Done: 2 SAEs \(64, 128 latents\) of snapshotted on blocks\.1\.hook_resid_pre/);
    expect(first.stdout).toContain('Checkpoints set: 3 SAEs of 64 latents on step-3, step-9 and the final model');

    const set = path.join(workspace, 'saes', 'demo-snapshotted-checkpoints-blocks.1.hook_resid_pre');
    const record = JSON.parse(fs.readFileSync(path.join(set, 'family.json'), 'utf8'));
    expect(record).toMatchObject({ kind: 'checkpoints', hook: 'blocks.1.hook_resid_pre', k: 4, tokens: 4096 });
    expect(record.saes.map((s: { label: string; model: string; d_sae: number }) => [s.label, s.model, s.d_sae])).toEqual([
      ['step-3', 'step-3', 64],
      ['step-9', 'step-9', 64],
      ['final', 'snapshotted', 64],
    ]);

    const store = openStore(path.join(workspace, 'db', 'features.sqlite'), { readonly: true });
    const stored = store.prepare(`SELECT f.kind, count(s.id) AS members FROM sae_families f JOIN saes s ON s.family_id = f.id WHERE f.path = ? GROUP BY f.id`).get(set);
    const counterparts = store.prepare(`SELECT count(*) AS n FROM counterparts`).get() as { n: number };
    store.close();
    expect(stored).toEqual({ kind: 'checkpoints', members: 3 });
    // Every latent of the final member has its best counterparts in each earlier one, and back.
    expect(counterparts.n).toBeGreaterThanOrEqual(4 * 64);

    const shares = Object.fromEntries([...first.stdout.matchAll(/^ {2}(step-\d+): (\d\.\d{3}) \(/gm)].map((m) => [m[1], Number(m[2])]));
    console.log('share of the final latents present at each checkpoint:', shares);
    expect(Object.keys(shares)).toEqual(['step-3', 'step-9']);
    for (const share of Object.values(shares)) expect(share >= 0 && share <= 1).toBe(true);
    expect(shares['step-9']).toBeGreaterThanOrEqual(0.9);
    expect(shares['step-3']).toBeLessThan(shares['step-9']!);

    const second = await runCli(...args);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/checkpoints-blocks\.1\.hook_resid_pre is already trained; reusing it/);
    expect(second.stderr).toMatch(/checkpoints-blocks\.1\.hook_resid_pre is already harvested and matched in .*features\.sqlite; reusing them/);
    expect(second.stderr).not.toMatch(/\$ sae-explorer (train|harvest|umap)/);
    expect(second.stdout).toContain(`  step-9: ${shares['step-9']!.toFixed(3)}`);
  }, 300_000);
});
