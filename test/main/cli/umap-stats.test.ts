import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { medianNearestCosine } from '../../../src-main/features/map-structure.js';
import { loadSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { openStore } from '../../../src-main/store/open.js';
import { writeFixtures, D_MODEL } from '../features/harvest-fixtures.js';
import { runCli } from './run-cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-umap-stats-'));
const { modelDir, familyDir, saeDirs } = writeFixtures(root);
const db = path.join(root, 'features.db');
beforeAll(async () => {
  expect((await runCli('harvest', '--model', modelDir, '--sae', familyDir, '--tokens', '100', '--db', db, '--top', '2')).code).toBe(0);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface StatsJson {
  seed: number;
  bases: Array<{ basis: string; latents: number; dims: number; medianNnCosine: number; baseline: number; ratio: number; hopkins2d: number }>;
}

describe('sae-explorer umap --stats', () => {
  it('asks for the layouts first, then measures both bases of the family', async () => {
    const before = await runCli('umap', '--stats', '--db', db, '--family', 'fam');
    expect(before.code).toBe(1);
    expect(before.stderr).toBe(`sae-explorer: SAE ${saeDirs[0]} has no decoder map stored; run sae-explorer umap --basis decoder on it (or its family) first\n`);
    for (const basis of ['decoder', 'activation']) expect((await runCli('umap', '--db', db, '--family', 'fam', '--basis', basis)).code).toBe(0);

    const { code, stdout } = await runCli('umap', '--stats', '--db', db, '--family', 'fam', '--json');
    expect(code).toBe(0);
    const { seed, bases } = JSON.parse(stdout) as StatsJson;
    const store = openStore(db, { readonly: true });
    const fired = store.prepare(`SELECT count(*) FROM activation_profiles`).pluck().get() as number;
    const dims = store.prepare(`SELECT min(length(profile)) / 4 FROM activation_profiles`).pluck().get() as number;
    store.close();
    expect(seed).toBe(0);
    expect(bases.map((b) => [b.basis, b.latents, b.dims])).toEqual([['decoder', 24, D_MODEL], ['activation', fired, dims]]);
    expect(fired).toBeGreaterThan(2);
    // The decoder figure is the median over the family's 24 decoder rows, read from the SAE folders.
    const decoder = new Float32Array(24 * D_MODEL);
    saeDirs.forEach((dir, i) => decoder.set(loadSaeLens(dir).weights.W_dec, i * 8 * D_MODEL));
    expect(bases[0].medianNnCosine).toBeCloseTo(medianNearestCosine(decoder, 24, D_MODEL), 6);
    for (const b of bases) {
      expect(b.ratio).toBeCloseTo(b.medianNnCosine / b.baseline, 9);
      expect(b.baseline).toBeGreaterThan(0);
      expect(b.hopkins2d).toBeGreaterThan(0);
      expect(b.hopkins2d).toBeLessThan(1);
    }
  });

  it('prints a table of both bases, the same for the same seed and with other baselines for another', async () => {
    const first = await runCli('umap', '--stats', '--db', db, '--family', 'fam');
    const again = await runCli('umap', '--stats', '--db', db, '--family', 'fam');
    const other = await runCli('umap', '--stats', '--db', db, '--family', 'fam', '--seed', '1', '--json');
    expect(first.code).toBe(0);
    const lines = first.stdout.split('\n');
    expect(lines[0]).toMatch(/^basis\s+latents\s+dims\s+median NN cosine\s+baseline\s+ratio\s+Hopkins 2-D$/);
    expect(lines[1]).toMatch(/^decoder\s+24\s+16\s+0\.\d{3}\s+0\.\d{3}\s+\d\.\d{2}\s+0\.\d{3}$/);
    expect(lines[2]).toMatch(/^activation\s+\d+\s+\d+\s+-?0\.\d{3}\s+-?0\.\d{3}\s+-?\d+\.\d{2}\s+0\.\d{3}$/);
    expect(again.stdout).toBe(first.stdout);
    const seeded = JSON.parse((await runCli('umap', '--stats', '--db', db, '--family', 'fam', '--json')).stdout) as StatsJson;
    const reseeded = JSON.parse(other.stdout) as StatsJson;
    expect(reseeded.bases[0].medianNnCosine).toBe(seeded.bases[0].medianNnCosine);
    expect(reseeded.bases[0].baseline).not.toBe(seeded.bases[0].baseline);
  });

  it('refuses an unknown family, too few latents that fired, and a harvest without activation profiles', async () => {
    const unknown = await runCli('umap', '--stats', '--db', db, '--family', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('sae-explorer: family "nope" is not in the database; families: 1 (fam)\n');

    const store = openStore(db);
    store.prepare(`DELETE FROM activation_profiles WHERE rowid NOT IN (SELECT rowid FROM activation_profiles ORDER BY sae_id, latent LIMIT 2)`).run();
    const few = await runCli('umap', '--stats', '--db', db, '--family', 'fam');
    expect(few.code).toBe(1);
    expect(few.stderr).toBe('sae-explorer: the activation basis has 2 latents that fired; map statistics need at least 3\n');

    store.prepare(`UPDATE harvests SET params = json_remove(params, '$.profile') WHERE sae_id = 2`).run();
    store.close();
    const old = await runCli('umap', '--stats', '--db', db, '--family', 'fam');
    expect(old.code).toBe(1);
    expect(old.stderr).toBe(`sae-explorer: SAE ${saeDirs[1]} was harvested before activation profiles were kept, so it has no activation basis; run sae-explorer harvest again (it redoes such SAEs); the decoder basis needs no profiles\n`);
  });
});
