import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { featurePage, listLatents, mapData, resolveSae, searchLatents } from '../../../src-main/store/queries.js';
import { beginHarvest, registerSae, writeLatents, writeLogitEffects, writeUmap } from '../../../src-main/store/writes.js';
import { buildSmallDb, latentRecord } from './fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-queries-'));
const { db, small, large, family } = buildSmallDb(path.join(dir, 'features.db'));
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('store queries', () => {
  it('returns a whole feature page with contexts decoded from their BLOBs', () => {
    const page = featurePage(db, small, 0);
    expect(page.sae).toMatchObject({ id: small, dSae: 4, path: '/fam/4', harvest: 'complete' });
    expect([page.density, page.maxAct, page.meanAct]).toEqual([0.01, 10, 5]);
    expect(page.top).toHaveLength(2);
    expect(page.top[0]).toEqual({ tokens: [0, 464, 50256], acts: [0, 10, 5], maxIndex: 1, value: 10 });
    expect(page.top[1].value).toBeCloseTo(9, 5);
    expect(page.quantiles.map((q) => [q.lo, q.hi, q.contexts.map((c) => c.value)])).toEqual([
      [0, 5, [2.5]],
      [5, 10, [7.5]],
    ]);
    expect(page.actHistogram).toEqual({ logLo: -3, logHi: 3, counts: [1, 2, 3] });
    expect(page.logitHistogram).toEqual({ lo: -2, hi: 3, counts: [5, 0, 7] });
    expect(page.logitsPos).toEqual([{ id: 100, token: ' tok0', value: 3 }]);
    expect(page.logitsNeg).toEqual([{ id: 200, token: ' never', value: -2 }]);
    expect(page.neighbours).toEqual([
      { saeId: small, dSae: 4, latent: 3, cosine: 0.5 },
      { saeId: small, dSae: 4, latent: 1, cosine: 0.25 },
    ]);
    expect(page.relatives).toEqual([{ saeId: large, dSae: 8, latent: 6, cosine: 0.875 }]);
    expect(page.umap).toBeNull();
  });

  it('rejects a latent out of range and an unknown SAE, naming what exists', () => {
    expect(() => featurePage(db, small, 4)).toThrow(/latent 4 is out of range: SAE \d+ has latents 0..3/);
    expect(() => resolveSae(db, '/nowhere')).toThrow(/harvested SAEs: \d+ \(\/fam\/4\)/);
    expect(resolveSae(db, '/fam/8').id).toBe(large);
    expect(resolveSae(db, String(large)).dSae).toBe(8);
  });

  it('lists latents sorted, filtered by density and by top-token text, paged', () => {
    const byMax = listLatents(db, { saeId: large, sort: 'max_act', descending: true, limit: 3 });
    expect(byMax.total).toBe(8);
    expect(byMax.rows.map((r) => r.latent)).toEqual([0, 1, 2]);
    const dense = listLatents(db, { saeId: large, sort: 'density', minDensity: 0.05, maxDensity: 0.07 });
    expect(dense.rows.map((r) => r.latent)).toEqual([4, 5, 6]);
    const the = listLatents(db, { saeId: large, tokenText: 'THE' });
    expect(the.rows.map((r) => r.latent)).toEqual([0, 3, 4, 7]);
    expect(listLatents(db, { saeId: large, limit: 2, offset: 6 }).rows.map((r) => r.latent)).toEqual([6, 7]);
    expect(listLatents(db, { saeId: large, tokenText: '%' }).total).toBe(0);
  });

  it('searches top tokens and promoted logit tokens across the family', () => {
    const hits = searchLatents(db, 'paris');
    expect(hits.map((h) => [h.saeId, h.latent, h.matched]).sort()).toEqual(
      [
        [small, 2, 'top_tokens'],
        [small, 3, 'top_tokens'],
        [large, 2, 'top_tokens'],
        [large, 3, 'top_tokens'],
      ].sort(),
    );
    const london = searchLatents(db, 'London', { saeIds: [small] });
    expect(london.map((h) => [h.saeId, h.latent, h.matched])).toEqual([[small, 2, 'logits']]);
  });

  it('answers text queries of 3+ characters from the trigram index, kept in step with every change to latents', () => {
    const plan = (sql: string, ...args: unknown[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail).join('\n');
    // The index answers the text, not a scan of every latent's text.
    expect(plan(`SELECT rowid >> 32, rowid & 4294967295 FROM latent_text WHERE latent_text MATCH ?`, 'top_tokens : "par"')).toContain('VIRTUAL TABLE INDEX');
    const indexed = (text: string) => (db.prepare(`SELECT count(*) AS n FROM latent_text WHERE latent_text MATCH ?`).get(`"${text}"`) as { n: number }).n;
    const { modelId, datasetId } = db.prepare(`SELECT (SELECT id FROM models) AS modelId, (SELECT id FROM datasets) AS datasetId`).get() as { modelId: number; datasetId: number };
    const scratch = registerSae(db, { path: '/fam/scratch', modelId, familyId: family, hookName: 'blocks.1.hook_resid_post', architecture: 'topk', dIn: 16, dSae: 2, k: 1 });
    beginHarvest(db, scratch, { datasetId, tokens: 10, topN: 1, params: {} });
    writeLatents(db, scratch, [latentRecord(0, 5, 'Ġzebra "quoted" Ġxy'), latentRecord(1, 4, 'Ġokapi')]);
    expect(searchLatents(db, 'zebra').map((h) => [h.saeId, h.latent])).toEqual([[scratch, 0]]);
    expect(searchLatents(db, '"quoted"').map((h) => h.latent)).toEqual([0]);
    expect(searchLatents(db, 'xy', { saeIds: [scratch] }).map((h) => h.latent)).toEqual([0]); // 2 characters: the LIKE scans
    writeLogitEffects(db, scratch, [{ latent: 1, positive: [{ id: 1, token: ' giraffe', value: 1 }], negative: [], histogram: { lo: 0, hi: 1, counts: new Uint32Array([1]) } }]);
    expect(searchLatents(db, 'giraffe').map((h) => [h.latent, h.matched])).toEqual([[1, 'logits']]);
    // A new harvest of the SAE replaces its text; deleting the SAE removes it from the index.
    beginHarvest(db, scratch, { datasetId, tokens: 10, topN: 1, params: {} });
    expect(searchLatents(db, 'zebra')).toEqual([]);
    writeLatents(db, scratch, [latentRecord(0, 5, 'Ġzebra')]);
    expect(indexed('zebra')).toBe(1);
    db.prepare('DELETE FROM saes WHERE id = ?').run(scratch);
    expect(indexed('zebra')).toBe(0);
    expect(indexed('okapi')).toBe(0);
  });

  it('returns map data for a family as typed arrays, only latents that have coordinates', () => {
    writeUmap(db, 'decoder', [small, large], [
      { saeId: small, latent: 1, x: 1, y: 2, x3: 3, y3: 4, z3: 5 },
      { saeId: large, latent: 7, x: -1, y: -2, x3: -3, y3: -4, z3: -5 },
    ]);
    const map = mapData(db, { familyId: family }, 'decoder');
    expect(map.saes.map((s) => s.dSae)).toEqual([4, 8]);
    expect(Array.from(map.saeIndex)).toEqual([0, 1]);
    expect(Array.from(map.latent)).toEqual([1, 7]);
    expect(Array.from(map.xy)).toEqual([1, 2, -1, -2]);
    expect(Array.from(map.xyz)).toEqual([3, 4, 5, -3, -4, -5]);
    expect(map.density[1]).toBeCloseTo(0.08, 6);
  });
});
