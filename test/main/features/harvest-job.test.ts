import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { parseHarvestConfig } from '../../../src-main/features/harvest-config.js';
import { harvestWindowsFor, loadHarvestSaes } from '../../../src-main/features/harvest-inputs.js';
import { runHarvest, type HarvestJob } from '../../../src-main/features/harvest-job.js';
import { readUnembedding } from '../../../src-main/features/unembedding.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { createSaeRunner } from '../../../src-main/sae/inference.js';
import { openStore, type Db } from '../../../src-main/store/open.js';
import { featurePage, listSaes } from '../../../src-main/store/queries.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import type { HookName } from '../../../src-shared/hooks.js';
import { HOOK, writeFixtures } from './harvest-fixtures.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-harvest-'));
let model: Gpt2;
let db: Db;
let job: HarvestJob;

beforeAll(async () => {
  const { modelDir, familyDir } = writeFixtures(root);
  model = await loadGpt2(modelDir);
  const tokenizer = await loadTokenizer(modelDir);
  db = openStore(path.join(root, 'features.db'));
  job = {
    db,
    modelName: 'tiny',
    model,
    unembedding: readUnembedding(modelDir),
    tokenText: (id) => tokenizer.displayToken(id),
    dataset: 'sotu',
    windows: await harvestWindowsFor('sotu', tokenizer, 63 * 6),
    saes: loadHarvestSaes([familyDir]),
    // A context reaching back to the window's start, so it can be re-encoded on its own (GPT-2 is causal).
    config: parseHarvestConfig({ topN: 3, context: { before: 63, after: 2 }, quantiles: { intervals: 3, perInterval: 2, seed: 1 }, batchWindows: 4 }),
  };
});
afterAll(() => {
  db?.close();
  model?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('runHarvest', () => {
  it('stores contexts whose activations equal a fresh encode of the same tokens', async () => {
    const summaries = await runHarvest(job);
    expect(summaries.map((s) => [s.dSae, s.skipped])).toEqual([
      [8, false],
      [16, false],
    ]);
    const saes = listSaes(db);
    expect(saes.map((s) => [s.dSae, s.harvest, s.familyId !== null])).toEqual([
      [8, 'complete', true],
      [16, 'complete', true],
    ]);
    const sae = saes[1];
    const runner = createSaeRunner(job.saes[1].bundle);
    try {
      let checked = 0;
      for (let latent = 0; latent < sae.dSae && checked < 3; latent++) {
        const page = featurePage(db, sae.id, latent);
        if (page.top.length === 0) continue;
        const context = page.top[0];
        expect(context.acts[context.maxIndex]).toBeCloseTo(page.maxAct, 5);
        const fresh = tf.tidy(() => {
          const ids = tf.tensor2d([50256, ...context.tokens], [1, context.tokens.length + 1], 'int32'); // [1, pos]
          const { cache } = model.run(ids, { cache: [HOOK as HookName], stopAt: HOOK as HookName });
          const x = cache.get(HOOK as HookName)!.slice([0, 1, 0], [1, context.tokens.length, -1]).reshape([context.tokens.length, 16]) as tf.Tensor2D; // [pos, d_model]
          return runner.encode(x).slice([0, latent], [context.tokens.length, 1]).reshape([-1]); // [pos]
        });
        const values = Array.from(fresh.dataSync());
        fresh.dispose();
        // The store keeps activations as float16 (relative error ≤ 2⁻¹¹, 2⁻¹⁰ when kept below the peak) besides the peak, which is exact.
        values.forEach((v, i) => expect(Math.abs(context.acts[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -10 + 5e-5));
        expect(page.logitsPos).toHaveLength(10);
        expect(page.neighbours).toHaveLength(10);
        expect(page.relatives.map((r) => r.dSae)).toEqual([8, 8, 8, 8, 8]);
        expect(page.quantiles.flatMap((q) => q.contexts).every((c) => c.value > 0)).toBe(true);
        // One record per window, centred on its peak: nothing in a top context outranks its own value.
        for (const c of page.top) expect(Math.max(...c.acts)).toBe(c.acts[c.maxIndex]);
        checked++;
      }
      expect(checked).toBe(3);
    } finally {
      runner.dispose();
    }
  });

  it('skips SAEs already harvested with the same settings and redoes them when settings change', async () => {
    const packs = () => db.prepare('SELECT sae_id, latent, pack FROM context_packs ORDER BY sae_id, latent').all();
    const before = packs();
    expect(before.length).toBeGreaterThan(0);
    const again = await runHarvest(job);
    expect(again.map((s) => s.skipped)).toEqual([true, true]);
    expect(packs()).toEqual(before);
    const changed = await runHarvest({ ...job, config: { ...job.config, topN: 2 } });
    expect(changed.map((s) => s.skipped)).toEqual([false, false]);
    const topCounts = listSaes(db).flatMap((s) => Array.from({ length: s.dSae }, (_, latent) => featurePage(db, s.id, latent).top.length));
    expect(Math.max(...topCounts)).toBe(2);
    // A harvest stored before contexts were one per window carries no "contexts" param: redone.
    db.prepare(`UPDATE harvests SET params = json_remove(params, '$.contexts')`).run();
    const old = await runHarvest({ ...job, config: { ...job.config, topN: 2 } });
    expect(old.map((s) => s.skipped)).toEqual([false, false]);
  });

  it('refuses an SAE that does not fit the model before touching the stored harvests', async () => {
    const wrong = { ...job.saes[0], path: '/elsewhere/8', bundle: { ...job.saes[0].bundle, spec: { ...job.saes[0].bundle.spec, hookName: 'blocks.5.hook_resid_post' } } };
    await expect(runHarvest({ ...job, saes: [job.saes[1], wrong] })).rejects.toThrow(/\/elsewhere\/8: .*layer 5.*0\.\.1/);
    expect(listSaes(db).map((s) => s.harvest)).toEqual(['complete', 'complete']);
  });

  it('stops with the abort reason when cancelled, leaving the SAE marked running', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled by test'));
    await expect(runHarvest({ ...job, config: { ...job.config, topN: 1 }, signal: controller.signal })).rejects.toThrow('cancelled by test');
    expect(listSaes(db).map((s) => s.harvest)).toEqual(['running', 'running']);
  });
});
