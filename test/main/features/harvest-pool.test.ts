import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend.js';
import { parseHarvestConfig } from '../../../src-main/features/harvest-config.js';
import { harvestWindowsFor, loadHarvestSaes } from '../../../src-main/features/harvest-inputs.js';
import { runHarvest, type HarvestJob } from '../../../src-main/features/harvest-job.js';
import { readUnembedding } from '../../../src-main/features/unembedding.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import { ModelPool } from '../../../src-main/model/pool.js';
import { openStore } from '../../../src-main/store/open.js';
import { featurePage, listSaes } from '../../../src-main/store/queries.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import { writeFixtures } from './harvest-fixtures.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-harvest-pool-'));
let model: Gpt2;
let job: Omit<HarvestJob, 'db'>;

// The activations on tfjs, where the pool computes them (ONNX Runtime would take them otherwise).
const runtime = process.env.SAE_GPT2_RUNTIME;
beforeAll(async () => {
  await initEngine('wasm');
  process.env.SAE_GPT2_RUNTIME = 'tfjs';
  const { modelDir, familyDir } = writeFixtures(root);
  model = await loadGpt2(modelDir);
  const tokenizer = await loadTokenizer(modelDir);
  job = {
    modelName: 'tiny',
    model,
    unembedding: readUnembedding(modelDir),
    tokenText: (id) => tokenizer.displayToken(id),
    dataset: 'sotu',
    windows: await harvestWindowsFor('sotu', tokenizer, 63 * 9),
    saes: loadHarvestSaes([familyDir]),
    config: parseHarvestConfig({ topN: 3, quantiles: { intervals: 3, perInterval: 2, seed: 1 }, batchWindows: 2 }),
  };
});
afterAll(() => {
  if (runtime === undefined) delete process.env.SAE_GPT2_RUNTIME;
  else process.env.SAE_GPT2_RUNTIME = runtime;
  model?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('runHarvest over the model pool', () => {
  it('stores the same statistics, contexts and samples as the in-thread harvest', async () => {
    const inThread = openStore(path.join(root, 'in-thread.db'));
    const pooledDb = openStore(path.join(root, 'pooled.db'));
    const pool = await ModelPool.start(model, 2);
    try {
      await runHarvest({ ...job, db: inThread });
      await runHarvest({ ...job, db: pooledDb, pool });
      const saes = listSaes(inThread);
      expect(listSaes(pooledDb)).toEqual(saes);
      let withContexts = 0;
      for (const sae of saes) {
        for (let latent = 0; latent < sae.dSae; latent++) {
          const page = featurePage(inThread, sae.id, latent);
          if (page.top.length > 0) withContexts++;
          expect(featurePage(pooledDb, sae.id, latent), `SAE ${sae.dSae} latent ${latent}`).toEqual(page);
        }
      }
      expect(withContexts).toBeGreaterThan(0);
    } finally {
      await pool.dispose();
      inThread.close();
      pooledDb.close();
    }
  });
});
