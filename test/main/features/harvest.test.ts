import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelActivationSource } from '../../../src-main/data/activations.js';
import type { WindowSet } from '../../../src-main/data/windows.js';
import { CodeSpill } from '../../../src-main/features/code-spill.js';
import { parseHarvestConfig } from '../../../src-main/features/harvest-config.js';
import { harvestWindowsFor } from '../../../src-main/features/harvest-inputs.js';
import { encodeBatch, encodeBlockRows, harvestWindows, type LatentHarvest } from '../../../src-main/features/harvest.js';
import { tf } from '../../../src-main/engine/backend.js';
import { seededRandom } from '../../../src-shared/random.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import { createSaeRunner, type SaeRunner } from '../../../src-main/sae/inference.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import type { HookName } from '../../../src-shared/hooks.js';
import { HOOK, randomTopKSae, writeFixtures } from './harvest-fixtures.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-harvest-passes-'));
let model: Gpt2;
let windows: WindowSet;
let runners: SaeRunner[];
const config = parseHarvestConfig({ topN: 3, context: { before: 5, after: 2 }, quantiles: { intervals: 3, perInterval: 2, seed: 4 }, batchWindows: 2 });

beforeAll(async () => {
  const { modelDir } = writeFixtures(root);
  model = await loadGpt2(modelDir);
  windows = await harvestWindowsFor('sotu', await loadTokenizer(modelDir), 63 * 5);
  runners = [createSaeRunner(randomTopKSae(8, 1)), createSaeRunner(randomTopKSae(24, 2, 5))];
});
afterAll(() => {
  for (const r of runners ?? []) r.dispose();
  model?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Everything a harvest result holds, as plain values. */
function contents(results: LatentHarvest[]): unknown {
  return results.map((h) => ({
    fires: Array.from(h.stats.fires),
    max: Array.from(h.stats.max),
    histogram: Array.from(h.stats.histogram),
    latents: Array.from({ length: h.stats.nLatents }, (_, latent) => ({ top: h.top.top(latent), quantiles: h.quantiles.samples(latent) })),
  }));
}

describe('harvestWindows', () => {
  it('reads pass 2 from the spilled top-k codes, without GPT-2, to the same result, and removes the spill', async () => {
    const recomputed = new ModelActivationSource(model, windows, HOOK as HookName, 2);
    const expected = contents(await harvestWindows(recomputed, windows, runners, config));
    const spilled = new ModelActivationSource(model, windows, HOOK as HookName, 2);
    const dbFile = path.join(root, 'spill', 'features.db');
    fs.mkdirSync(path.dirname(dbFile));
    const got = contents(await harvestWindows(spilled, windows, runners, config, { spillBeside: dbFile }));
    expect(got).toEqual(expected);
    // Two batches of windows per forward: the first pass only.
    expect(recomputed.forwardCalls).toBe(2 * Math.ceil(windows.count / 2));
    expect(spilled.forwardCalls).toBe(Math.ceil(windows.count / 2));
    expect(fs.readdirSync(path.dirname(dbFile))).toEqual([]);
  });

  it('recomputes pass 2 when an SAE has no top-k code to spill', async () => {
    const dense = createSaeRunner({ ...randomTopKSae(8, 3), spec: { ...randomTopKSae(8, 3).spec, architecture: 'standard', k: undefined } });
    try {
      const source = new ModelActivationSource(model, windows, HOOK as HookName, 2);
      await harvestWindows(source, windows, [runners[0], dense], config, { spillBeside: path.join(root, 'features.db') });
      expect(source.forwardCalls).toBe(2 * Math.ceil(windows.count / 2));
    } finally {
      dense.dispose();
    }
  });

  it('encodes a top-k code in blocks of rows to the same code as in one piece', async () => {
    const random = seededRandom(6);
    const x = tf.tensor2d(Float32Array.from({ length: 23 * 16 }, () => random() - 0.5), [23, 16]); // [tokens, d_model]
    try {
      const whole = await encodeBatch(runners[1], x, 23);
      const blocked = await encodeBatch(runners[1], x, 5);
      expect(blocked).toEqual(whole);
      expect(whole.sparse!.values.length).toBe(23 * 5);
    } finally {
      x.dispose();
    }
    // 2^24 pre-activations per block: all of a batch at 16k latents, 64 tokens at 256k.
    expect([encodeBlockRows(16_384), encodeBlockRows(262_144)]).toEqual([1024, 64]);
  });

  it('says which spill file ended early when it is shorter than what was written', () => {
    const spill = new CodeSpill(path.join(root, 'short.db'));
    try {
      spill.write(new Float32Array([1, 2]), new Int32Array([3, 4]));
      expect(spill.read(2)).toEqual({ values: new Float32Array([1, 2]), indices: new Int32Array([3, 4]) });
      expect(() => spill.read(1)).toThrow(new RegExp(`${spill.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the harvest's code spill ended 4 bytes early`));
    } finally {
      spill.dispose();
    }
    expect(fs.existsSync(spill.path)).toBe(false);
  });
});
