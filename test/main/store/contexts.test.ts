import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CapturedContext } from '../../../src-main/features/context-slots.js';
import { openStore, type Db } from '../../../src-main/store/open.js';
import { featurePage } from '../../../src-main/store/queries.js';
import type { LatentRecord } from '../../../src-main/store/records.js';
import { beginHarvest, registerDataset, registerModel, registerSae, writeLatents } from '../../../src-main/store/writes.js';
import { latentRecord } from './fixtures.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-contexts-'));
  dirs.push(dir);
  return path.join(dir, 'features.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const CONTEXT_SIZE = 8;

/** Three windows of 8 tokens (BOS first); `wide` puts ids beyond 16 bits in them, as a vocabulary > 65,535 would. */
function windowSet(wide: boolean) {
  const tokens = Int32Array.from({ length: 3 * CONTEXT_SIZE }, (_, i) => (i % CONTEXT_SIZE === 0 ? 50256 : (wide ? 70_000 : 100) + i));
  return { contextSize: CONTEXT_SIZE, tokens };
}

/** The context of `window` centred on `position` (counted after the BOS), 2 tokens before and 1 after. */
function cut(windows: ReturnType<typeof windowSet>, window: number, position: number, value: number): CapturedContext {
  const start = Math.max(0, position - 2);
  const end = Math.min(CONTEXT_SIZE - 1, position + 2);
  const base = window * CONTEXT_SIZE + 1;
  const acts = Float32Array.from({ length: end - start }, (_, i) => (i === position - start ? value : i === 0 ? value / 3 : 0));
  return { tokens: windows.tokens.slice(base + start, base + end), acts, maxIndex: position - start, value, window, position };
}

function harvested(file: string, upTo?: number): { db: Db; saeId: number } {
  const db = openStore(file, { upTo });
  const modelId = registerModel(db, { name: 'tiny', vocabSize: 50257 });
  const saeId = registerSae(db, { path: '/s', modelId, hookName: 'blocks.0.hook_resid_post', architecture: 'topk', dIn: 4, dSae: 4, k: 1 });
  const datasetId = registerDataset(db, 'sotu');
  // beginHarvest clears tables an older schema lacks, so an older database gets its harvest row by hand.
  if (upTo === undefined) beginHarvest(db, saeId, { datasetId, tokens: 21, topN: 2, params: { intervals: 2 } });
  else db.prepare(`INSERT INTO harvests (sae_id, dataset_id, tokens, top_n, params, status) VALUES (?, ?, 21, 2, '{"intervals":2}', 'complete')`).run(saeId, datasetId);
  return { db, saeId };
}

function record(latent: number, top: CapturedContext[], quantile: CapturedContext[]): LatentRecord {
  return { ...latentRecord(latent, 3, 'x'), top, quantiles: [{ interval: 1, lo: 1.5, hi: 3, seen: 1, contexts: quantile }] };
}

describe('contexts in the store', () => {
  for (const wide of [false, true]) {
    it(`stores each window once per SAE and reads every context back from it (${wide ? '32-bit ids, vocabulary > 65,535' : '16-bit ids'})`, () => {
      const { db, saeId } = harvested(tempFile());
      const windows = windowSet(wide);
      const latents = [
        record(0, [cut(windows, 2, 5, 3), cut(windows, 0, 0, 2.5)], [cut(windows, 2, 1, 2)]),
        record(1, [cut(windows, 2, 6, 1.75)], []),
      ];
      writeLatents(db, saeId, latents, windows);
      const stored = db.prepare('SELECT window, token_bytes, length(tokens) AS bytes FROM windows ORDER BY window').all();
      expect(stored).toEqual([0, 2].map((window) => ({ window, token_bytes: wide ? 4 : 2, bytes: CONTEXT_SIZE * (wide ? 4 : 2) })));
      for (const r of latents) {
        const page = featurePage(db, saeId, r.latent);
        const expected = (c: CapturedContext) => ({ tokens: Array.from(c.tokens), acts: Array.from(c.acts).map((a) => expect.closeTo(a, 3)), maxIndex: c.maxIndex, value: c.value });
        expect(page.top).toEqual(r.top.map(expected));
        expect(page.quantiles[1].contexts).toEqual(r.quantiles[0].contexts.map(expected));
      }
      db.close();
    });
  }

  it('refuses, naming the latent, a context whose tokens are not where it says in its window, and writes nothing of the chunk', () => {
    const { db, saeId } = harvested(tempFile());
    const windows = windowSet(false);
    const wrong = { ...cut(windows, 1, 4, 2), window: 2 };
    expect(() => writeLatents(db, saeId, [record(0, [cut(windows, 0, 3, 3)], []), record(1, [wrong], [])], windows)).toThrow(
      /SAE 1 latent 1: a context says it is at position 4 of window 2, but its 4 tokens are not there \(the harvest has 3 windows of 8 tokens\)/,
    );
    expect(db.prepare('SELECT (SELECT count(*) FROM latents) + (SELECT count(*) FROM context_packs) + (SELECT count(*) FROM windows) AS n').get()).toEqual({ n: 0 });
    db.close();
  });

  it('names the latent of a corrupt pack or a missing window instead of crashing', () => {
    const { db, saeId } = harvested(tempFile());
    const windows = windowSet(false);
    writeLatents(db, saeId, [record(0, [cut(windows, 1, 3, 3)], []), record(1, [cut(windows, 2, 3, 3)], [])], windows);
    db.prepare(`UPDATE context_packs SET pack = substr(pack, 1, 10) WHERE latent = 0`).run();
    expect(() => featurePage(db, saeId, 0)).toThrow(/the contexts of latent 0 of SAE 1 are corrupt \(.*\); harvest this SAE again/);
    db.prepare(`DELETE FROM windows WHERE window = 2`).run();
    expect(() => featurePage(db, saeId, 1)).toThrow(/the contexts of latent 1 of SAE 1 are corrupt \(window 2 it refers to is not in the windows table\)/);
    db.close();
  });

  it('reads the one-row-per-context contexts of a version-4 database after migrating it, and a re-harvest replaces them with packs', () => {
    const file = tempFile();
    const { db: old, saeId } = harvested(file, 4);
    // Rows as the version-4 writer stored them: int32 tokens and float32 activations, one row each.
    const insert = old.prepare(`INSERT INTO contexts (sae_id, latent, kind, rank, interval, value, max_index, tokens, acts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const blob = (a: Int32Array | Float32Array) => Buffer.from(a.buffer);
    old.prepare(`INSERT INTO latents (sae_id, latent, density, mean_act, max_act) VALUES (?, 0, 0.5, 1, 3)`).run(saeId);
    insert.run(saeId, 0, 'top', 0, null, 3, 1, blob(Int32Array.from([70_000, 464, 7])), blob(Float32Array.from([0.1234567, 3, 0])));
    insert.run(saeId, 0, 'top', 1, null, 2, 0, blob(Int32Array.from([9])), blob(Float32Array.from([2])));
    insert.run(saeId, 0, 'quantile', 0, 1, 2.5, 0, blob(Int32Array.from([11, 12])), blob(Float32Array.from([2.5, 1e-7])));
    old.close();

    const db = openStore(file);
    const page = featurePage(db, saeId, 0);
    // Read as stored: float32 activations exactly, no narrowing.
    expect(page.top).toEqual([
      { tokens: [70_000, 464, 7], acts: [Math.fround(0.1234567), 3, 0], maxIndex: 1, value: 3 },
      { tokens: [9], acts: [2], maxIndex: 0, value: 2 },
    ]);
    expect(page.quantiles[1].contexts).toEqual([{ tokens: [11, 12], acts: [2.5, Math.fround(1e-7)], maxIndex: 0, value: 2.5 }]);

    beginHarvest(db, saeId, { datasetId: registerDataset(db, 'sotu'), tokens: 21, topN: 1, params: { intervals: 2 } });
    const windows = windowSet(false);
    writeLatents(db, saeId, [record(0, [cut(windows, 0, 3, 3)], [])], windows);
    expect(db.prepare('SELECT (SELECT count(*) FROM contexts) AS rows, (SELECT count(*) FROM context_packs) AS packs').get()).toEqual({ rows: 0, packs: 1 });
    expect(featurePage(db, saeId, 0).top.map((c) => c.tokens)).toEqual([[102, 103, 104, 105]]);
    db.close();
  });

  it('refuses a corrupt version-4 row naming its latent', () => {
    const file = tempFile();
    const { db: old, saeId } = harvested(file, 4);
    old.prepare(`INSERT INTO latents (sae_id, latent, density, mean_act, max_act) VALUES (?, 2, 0.5, 1, 3)`).run(saeId);
    old.prepare(`INSERT INTO contexts (sae_id, latent, kind, rank, interval, value, max_index, tokens, acts) VALUES (?, 2, 'top', 0, NULL, 3, 0, ?, ?)`).run(saeId, Buffer.alloc(6), Buffer.alloc(8));
    old.close();
    const db = openStore(file);
    expect(() => featurePage(db, saeId, 2)).toThrow(/contexts of latent 2 of SAE 1 are corrupt \(BLOB column contexts.tokens holds 6 bytes, not a multiple of 4\)/);
    db.close();
  });
});
