import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ActivationProfiles, profileDims, TokenProjection } from '../../../src-main/features/activation-profile.js';
import { DEFAULT_HARVEST, parseHarvestConfig } from '../../../src-main/features/harvest-config.js';
import { harvestWindowsFor, loadHarvestSaes } from '../../../src-main/features/harvest-inputs.js';
import { runHarvest } from '../../../src-main/features/harvest-job.js';
import { checkHarvestMemory, estimateHarvestMemory, trackerBytes } from '../../../src-main/features/harvest-memory.js';
import { LatentStats } from '../../../src-main/features/latent-stats.js';
import { QuantileSampler } from '../../../src-main/features/quantile-samples.js';
import { TopNTracker } from '../../../src-main/features/top-n.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { tinyGpt2Config } from '../../../src-main/model/tiny.js';
import { openStore } from '../../../src-main/store/open.js';
import { listSaes } from '../../../src-main/store/queries.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import { writeFixtures } from './harvest-fixtures.js';

/** Bytes of every typed array an object holds, however deep. */
function typedBytes(value: unknown, seen = new Set<unknown>()): number {
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (typeof value !== 'object' || value === null || seen.has(value)) return 0;
  seen.add(value);
  return Object.values(value).reduce((sum: number, v) => sum + typedBytes(v, seen), 0);
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-harvest-memory-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('harvest memory', () => {
  it('counts exactly the typed arrays the trackers allocate', () => {
    const config = parseHarvestConfig({ topN: 7, context: { before: 3, after: 2 }, quantiles: { intervals: 4, perInterval: 3, seed: 0 } });
    const n = 50;
    const stats = new LatentStats(n);
    // The trackers read tokens back from the harvest's windows, which are not theirs to count.
    const windows = { contextSize: 8, count: 0, tokens: new Uint16Array(0) };
    const expected = trackerBytes(n, config);
    expect(typedBytes(stats)).toBe(expected.statistics);
    // The projection (its row sum, and a batch of rows during the pass) is one per site, not per latent.
    const dims = profileDims(n, config.profile);
    const projection = new TokenProjection(config.profile, dims);
    expect(typedBytes(new ActivationProfiles(n, projection, dims)) - typedBytes(projection)).toBe(expected.profile);
    expect(typedBytes(new TopNTracker(n, config.topN, config.context, windows))).toBe(expected.top);
    // The sampler reads the statistics' max, which is counted there.
    expect(typedBytes(new QuantileSampler(stats.max, config.quantiles, config.context, windows)) - stats.max.byteLength).toBe(expected.quantiles);
  });

  it('states what a 16k + 64k + 256k family with 40 top contexts needs on GPT-2 small', () => {
    const sizes = [16_384, 65_536, 262_144];
    const estimate = estimateHarvestMemory({ dIn: 768, sizes, config: DEFAULT_HARVEST, contextSize: 64, model: tinyGpt2Config({ layers: 12, dModel: 768, heads: 12, ctx: 1024, seed: 0, overwrite: false }), logitBlockRows: 256, neighbourBlockElements: 2 ** 24, denseCodes: false, logitWorkers: 2 });
    const trackers = estimate.perSae.reduce((sum, s) => sum + s.statistics + s.top + s.quantiles, 0);
    // 13,820 bytes per latent at the defaults: 260 statistics, 6,020 top-N, 7,540 quantile samples.
    expect(trackers).toBe(344_064 * 13_820);
    // 1,024 bytes per latent of activation profile (256 dims): 0.33 GiB.
    expect(estimate.perSae.reduce((sum, s) => sum + s.profile, 0)).toBe(344_064 * 1_032);
    // With the SAEs' weights on the host and on the engine (1.97 GiB each), GPT-2 and two logit-effect workers: 10.1 GiB.
    expect(estimate.total / 2 ** 30).toBeCloseTo(10.06, 2);
    // The engine at its fullest, during the passes: GPT-2, every SAE and one encode block; one wasm heap holds it.
    expect(estimate.instance / 2 ** 30).toBeCloseTo(2.56, 2);
  });

  it('refuses before touching the database when the machine is too small, naming both figures', async () => {
    const { modelDir, familyDir } = writeFixtures(root);
    const model = await loadGpt2(modelDir);
    const db = openStore(path.join(root, 'features.db'));
    try {
      const tokenizer = await loadTokenizer(modelDir);
      const job = {
        db,
        modelName: 'tiny',
        model,
        tokenText: (id: number) => tokenizer.displayToken(id),
        dataset: 'sotu',
        windows: await harvestWindowsFor('sotu', tokenizer, 63 * 2),
        saes: loadHarvestSaes([familyDir]),
        config: parseHarvestConfig(),
      };
      const needed = estimateHarvestMemory({ dIn: 16, sizes: [8, 16], config: job.config, contextSize: 64, model: model.config, logitBlockRows: 0, neighbourBlockElements: 16 * 16, denseCodes: false, logitWorkers: 0 });
      const budget = { systemBytes: needed.total - 1, instanceBytes: null, instanceName: 'test' };
      await expect(runHarvest({ ...job, memoryBudget: budget })).rejects.toThrow(/harvest needs about 0\.\d\d GiB \(8 latents .*16 latents .*\), but this machine has 0\.\d\d GiB; harvest fewer sizes at once/);
      expect(listSaes(db)).toEqual([]);
      expect(() => checkHarvestMemory({ dIn: 16, sizes: [8, 16], config: job.config, contextSize: 64, model: model.config, logitBlockRows: 0, neighbourBlockElements: 256, denseCodes: false, logitWorkers: 0 }, { ...budget, systemBytes: needed.total })).not.toThrow();
      expect(() =>
        checkHarvestMemory({ dIn: 16, sizes: [8, 16], config: job.config, contextSize: 64, model: model.config, logitBlockRows: 0, neighbourBlockElements: 256, denseCodes: false, logitWorkers: 0 }, { systemBytes: 2 ** 40, instanceBytes: needed.instance - 1, instanceName: 'the wasm heap of one instance' }),
      ).toThrow(/in one tensor instance .* but the wasm heap of one instance holds at most/);
    } finally {
      db.close();
      model.dispose();
    }
  });
});
