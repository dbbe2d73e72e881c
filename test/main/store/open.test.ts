import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, schemaVersion } from '../../../src-main/store/open.js';
import { SCHEMA_VERSION } from '../../../src-main/store/schema.js';
import { counterparts, featurePage, listSaes, mapBases, mapData, matchSummary, searchLatents } from '../../../src-main/store/queries.js';
import { registerDataset, writeCounterparts, writeUmap } from '../../../src-main/store/writes.js';
import { buildSmallDb } from './fixtures.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-store-'));
  dirs.push(dir);
  return path.join(dir, 'features.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('openStore', () => {
  it('creates a WAL database at the current schema version', () => {
    const db = openStore(tempFile());
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('migrates a version-1 database to the current version, keeping and back-filling its rows', () => {
    const file = tempFile();
    const old = openStore(file, { upTo: 1 });
    expect(schemaVersion(old)).toBe(1);
    expect(() => old.prepare('SELECT umap3_x FROM latents').all()).toThrow(/no such column/);
    old.close();
    // Version 1 has no logit_histograms table, so fill it the way version-1 code did: by hand.
    const raw = new Database(file);
    raw.exec(`INSERT INTO models (name) VALUES ('tiny');
      INSERT INTO saes (path, model_id, hook_name, architecture, d_in, d_sae) VALUES ('/s', 1, 'blocks.0.hook_resid_post', 'topk', 4, 2);
      INSERT INTO latents (sae_id, latent, density, mean_act, max_act) VALUES (1, 1, 0.25, 1.5, 3.0);
      INSERT INTO logit_effects (sae_id, latent, sign, rank, token_id, token, value) VALUES (1, 1, 1, 0, 6342, '·Paris', 2.0), (1, 1, -1, 0, 7, '·never', -1.0);`);
    raw.close();

    const db = openStore(file);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    writeUmap(db, 'decoder', [1], [{ saeId: 1, latent: 1, x: 1, y: 2, x3: 3, y3: 4, z3: 5 }]);
    const page = featurePage(db, 1, 1);
    expect([page.density, page.maxAct, page.umap3?.z]).toEqual([0.25, 3, 5]);
    expect(page.logitHistogram).toBeNull();
    // Version 3 copied the promoted logit tokens onto the latent, where search looks.
    expect(searchLatents(db, 'PARIS')).toEqual([{ saeId: 1, latent: 1, matched: 'logits', density: 0.25, maxAct: 3 }]);
    expect(searchLatents(db, 'never')).toEqual([]);
    db.close();
  });

  it('migrates a version-3 database: its families read as sets of sizes, and counterparts can be stored', () => {
    const file = tempFile();
    const old = openStore(file, { upTo: 3 });
    old.exec(`INSERT INTO models (name) VALUES ('tiny');
      INSERT INTO sae_families (path, name, model_id, hook_name) VALUES ('/fam', 'fam', 1, 'blocks.0.hook_resid_post');
      INSERT INTO saes (path, family_id, model_id, hook_name, architecture, d_in, d_sae) VALUES ('/fam/2', 1, 1, 'blocks.0.hook_resid_post', 'topk', 4, 2), ('/fam/4', 1, 1, 'blocks.0.hook_resid_post', 'topk', 4, 4);`);
    expect(() => old.prepare('SELECT kind FROM sae_families').all()).toThrow(/no such column/);
    old.close();

    const db = openStore(file);
    expect(db.prepare('SELECT name, kind FROM sae_families').all()).toEqual([{ name: 'fam', kind: 'sizes' }]);
    expect(listSaes(db, 1).map((s) => s.path)).toEqual(['/fam/2', '/fam/4']);
    expect(() => db.prepare(`UPDATE sae_families SET kind = 'layers'`).run()).toThrow(/CHECK constraint failed/);
    const datasetId = registerDataset(db, 'sotu');
    writeCounterparts(db, 2, 1, { datasetId, tokens: 630 }, [
      { latent: 0, others: new Int32Array([1, 0]), correlations: new Float32Array([0.9, 0.1]) },
      { latent: 3, others: new Int32Array([0, 1]), correlations: new Float32Array([0.5, 0.25]) },
    ]);
    expect(counterparts(db, 2, 0, 1)).toEqual([
      { saeId: 1, latent: 1, correlation: expect.closeTo(0.9, 6) },
      { saeId: 1, latent: 0, correlation: expect.closeTo(0.1, 6) },
    ]);
    expect(matchSummary(db, 2, 1, 0.7)).toEqual({ tokens: 630, matched: 1, latents: 2 });
    expect(matchSummary(db, 1, 2, 0.7)).toBeNull();
    // A rerun replaces the pair's rows whole.
    writeCounterparts(db, 2, 1, { datasetId, tokens: 63 }, [{ latent: 0, others: new Int32Array([0]), correlations: new Float32Array([0.8]) }]);
    expect(matchSummary(db, 2, 1, 0.7)).toEqual({ tokens: 63, matched: 1, latents: 1 });
    db.close();
  });

  it('migrates a version-6 database: its UMAP coordinates become the decoder map, and an activation map can be stored beside it', () => {
    const file = tempFile();
    const old = openStore(file, { upTo: 6 });
    old.exec(`INSERT INTO models (name) VALUES ('tiny');
      INSERT INTO sae_families (path, name, model_id, hook_name) VALUES ('/fam', 'fam', 1, 'blocks.0.hook_resid_post');
      INSERT INTO saes (path, family_id, model_id, hook_name, architecture, d_in, d_sae) VALUES ('/fam/2', 1, 1, 'blocks.0.hook_resid_post', 'topk', 4, 2), ('/fam/4', 1, 1, 'blocks.0.hook_resid_post', 'topk', 4, 4);
      INSERT INTO latents (sae_id, latent, density, mean_act, max_act, umap_x, umap_y, umap3_x, umap3_y, umap3_z) VALUES
        (1, 0, 0.5, 1, 2, 1, 2, 3, 4, 5), (1, 1, 0, 0, 0, 6, 7, NULL, NULL, NULL), (2, 3, 0.25, 1, 2, -1, -2, -3, -4, -5), (2, 0, 0.1, 1, 2, NULL, NULL, NULL, NULL, NULL);`);
    old.close();

    const db = openStore(file);
    const decoder = mapData(db, { familyId: 1 }, 'decoder');
    expect(Array.from(decoder.latent)).toEqual([0, 1, 3]);
    expect(Array.from(decoder.xy)).toEqual([1, 2, 6, 7, -1, -2]);
    // A version-1 row without 3-D coordinates still reads as z = 0 on the map, and as no 3-D point on its page.
    expect(Array.from(decoder.xyz)).toEqual([3, 4, 5, 0, 0, 0, -3, -4, -5]);
    expect(featurePage(db, 1, 1).umap).toEqual({ x: 6, y: 7 });
    expect(featurePage(db, 1, 1).umap3).toBeNull();
    expect(featurePage(db, 2, 3).umap3).toEqual({ x: -3, y: -4, z: -5 });
    expect(featurePage(db, 2, 0).umap).toBeNull();
    expect(() => db.prepare('SELECT umap_x FROM latents').all()).toThrow(/no such column/);
    expect(mapBases(db, { familyId: 1 })).toEqual(['decoder']);

    writeUmap(db, 'activation', [1, 2], [{ saeId: 2, latent: 3, x: 9, y: 8, x3: 7, y3: 6, z3: 5 }]);
    expect(mapBases(db, { familyId: 1 })).toEqual(['decoder', 'activation']);
    expect(Array.from(mapData(db, { familyId: 1 }, 'activation').xy)).toEqual([9, 8]);
    // The feature page stays on the decoder map.
    expect(featurePage(db, 2, 3).umap).toEqual({ x: -1, y: -2 });
    // A rerun replaces the basis's points of those SAEs whole, and only that basis.
    writeUmap(db, 'activation', [1, 2], [{ saeId: 1, latent: 0, x: 1, y: 1, x3: 1, y3: 1, z3: 1 }]);
    expect(Array.from(mapData(db, { familyId: 1 }, 'activation').latent)).toEqual([0]);
    expect(mapData(db, { familyId: 1 }, 'decoder').latent.length).toBe(3);
    expect(() => writeUmap(db, 'activation', [1], [{ saeId: 1, latent: 3, x: 0, y: 0, x3: 0, y3: 0, z3: 0 }])).toThrow(
      'map point of SAE 1 latent 3: the latent has no harvest row; harvest before the map',
    );
    expect(() => db.prepare(`INSERT INTO map_points (sae_id, basis, latent, x, y) VALUES (1, 'tokens', 0, 0, 0)`).run()).toThrow(/CHECK constraint failed/);
    db.close();
  });

  it('refuses a database from a newer app and a read-only open of a missing file', () => {
    const file = tempFile();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openStore(file)).toThrow(/schema version 99, newer than this app's/);
    expect(() => openStore(path.join(path.dirname(file), 'missing.db'), { readonly: true })).toThrow(/does not exist/);
  });

  it('reopens read-only with every committed row', () => {
    const file = tempFile();
    buildSmallDb(file).db.close();
    const db = openStore(file, { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM latents').get() as { n: number }).n).toBe(12);
    db.close();
  });
});
