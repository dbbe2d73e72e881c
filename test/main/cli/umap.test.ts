import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src-main/store/open.js';
import { mapBases, mapData } from '../../../src-main/store/queries.js';
import { writeFixtures } from '../features/harvest-fixtures.js';
import { runCli } from './run-cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-umap-'));
const { modelDir, familyDir, saeDirs } = writeFixtures(root);
const db = path.join(root, 'features.db');
beforeAll(async () => {
  expect((await runCli('harvest', '--model', modelDir, '--sae', saeDirs[0], '--tokens', '100', '--db', db, '--top', '2')).code).toBe(0);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('sae-explorer umap', () => {
  it('refuses a family member that is not harvested yet, then lays out the whole family jointly', async () => {
    const partial = await runCli('umap', '--db', db, '--family', 'fam');
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/fam\/16 has no complete harvest; run sae-explorer harvest first/);

    expect((await runCli('harvest', '--model', modelDir, '--sae', familyDir, '--tokens', '100', '--db', db, '--top', '2')).code).toBe(0);
    const { code, stdout } = await runCli('umap', '--db', db, '--family', 'fam', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ points: 24, saes: [{ id: 1, d_sae: 8 }, { id: 2, d_sae: 16 }] });
    const store = openStore(db, { readonly: true });
    const map = mapData(store, { familyId: 1 }, 'decoder');
    store.close();
    expect(Array.from(map.saeIndex)).toEqual([...Array(8).fill(0), ...Array(16).fill(1)]);
    expect([...map.xy, ...map.xyz].every(Number.isFinite)).toBe(true);
    expect(new Set(map.xy).size).toBeGreaterThan(40);
  });

  it('lays out the latents that fired by their activation profiles, keeping the decoder map, and says which basis', async () => {
    const { code, stdout, stderr } = await runCli('umap', '--db', db, '--family', 'fam', '--basis', 'activation', '--json');
    expect(code).toBe(0);
    expect(stderr).toContain("umap: basis activation (cosine of activation profiles over the harvest's tokens)");
    const summary = JSON.parse(stdout) as { basis: string; points: number; unplaced: number };
    const store = openStore(db, { readonly: true });
    const fired = (store.prepare(`SELECT count(*) FROM latents WHERE density > 0`).pluck().get() as number);
    const activation = mapData(store, { familyId: 1 }, 'activation');
    const decoder = mapData(store, { familyId: 1 }, 'decoder');
    const bases = mapBases(store, { familyId: 1 });
    store.close();
    expect(summary).toMatchObject({ basis: 'activation', points: fired, unplaced: 24 - fired });
    expect(fired).toBeGreaterThan(2);
    expect(activation.latent.length).toBe(fired);
    expect(Array.from(activation.density).every((d) => d > 0)).toBe(true);
    expect(decoder.latent.length).toBe(24);
    expect(bases).toEqual(['decoder', 'activation']);
  });

  it('refuses an unknown basis and a harvest without activation profiles; a family with none that fired has no activation map', async () => {
    const bad = await runCli('umap', '--db', db, '--family', 'fam', '--basis', 'tokens');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('sae-explorer: --basis must be decoder or activation, got "tokens"\n');
    // A family none of whose latents fired has no activation map, and loses the one it had.
    const store = openStore(db);
    store.prepare(`DELETE FROM activation_profiles`).run();
    const silent = await runCli('umap', '--db', db, '--family', 'fam', '--basis', 'activation');
    expect([silent.code, silent.stdout]).toEqual([0, "no activation map: fewer than 3 of the 24 latents fired on the harvest's tokens\n"]);
    expect(mapBases(store, { familyId: 1 })).toEqual(['decoder']);
    // A harvest from before profiles were kept is named.
    store.prepare(`UPDATE harvests SET params = json_remove(params, '$.profile') WHERE sae_id = 2`).run();
    store.close();
    const old = await runCli('umap', '--db', db, '--family', 'fam', '--basis', 'activation');
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/fam\/16 was harvested before activation profiles were kept, so it has no activation basis; run sae-explorer harvest again \(it redoes such SAEs\); the decoder basis needs no profiles/);
  });

  it('needs exactly one of --family and --sae', async () => {
    const both = await runCli('umap', '--db', db, '--family', '1', '--sae', '1');
    expect(both.code).toBe(1);
    expect(both.stderr).toBe('sae-explorer: umap needs exactly one of --family ID and --sae DIR\n');
  });
});
