// training.start holds sizes to upper bounds, and refuses a run the machine cannot hold before any
// job starts, saying what the run needs and what the machine has.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-bounds-'));
const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });
mkdirSync(path.join(root, 'models', 'wide'));
// Only the config is read before the job: GPT-2 medium's width.
writeFileSync(path.join(root, 'models', 'wide', 'config.json'), JSON.stringify({ n_layer: 2, n_embd: 1024, n_head: 16, n_positions: 64, vocab_size: 50257 }));
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

const TRAIN = { model: 'wide', dataset: 'embedded:sotu', hook: 'blocks.0.hook_resid_post', latents: [4096], k: 32, tokens: 4096, family: 'fam' };

async function refusal(params: Record<string, unknown>): Promise<string> {
  const response = await dispatcher.call('training.start', { ...TRAIN, ...params });
  if (response.ok) throw new Error(`training.start accepted ${JSON.stringify(params)}`);
  expect(response.error.code).toBe('bad_request');
  return response.error.message;
}

describe('training.start bounds', () => {
  it('names the field of a size beyond its bound', async () => {
    expect(await refusal({ latents: [2 ** 24 + 1] })).toBe('training.start: "latents[0]" must be an integer ≥ 1 ≤ 16777216, got 16777217');
    expect(await refusal({ tokens: 1e300 })).toBe('training.start: "tokens" must be an integer ≥ 1 ≤ 1000000000000, got 1e+300');
    expect(await refusal({ batch: 2 ** 21 })).toBe('training.start: "batch" must be an integer ≥ 1 ≤ 1048576, got 2097152');
    expect(await refusal({ k: 5000 })).toContain('"k" must be an integer ≥ 1 ≤ 4096');
    expect(await refusal({ latents: Array.from({ length: 17 }, (_, i) => 64 * (i + 1)) })).toContain('"latents" must be a list of at least 1 and at most 16 integers');
  });

  it('refuses a run larger than the machine, with what it needs and what the machine has', async () => {
    // 2^24 latents on a 1024-wide hook: 2^35 parameters, about 512 GiB with Adam and gradients; the model
    // and its buffers (a copy per model thread, which differs between machines) come on top.
    const message = await refusal({ latents: [2 ** 24] });
    expect(message).toMatch(/^training\.start: training needs about 5\d\d\.\d\d GiB \(16777216 latents 5\d\d\.\d\d GiB, model and buffer \d+\.\d\d GiB\)/);
    expect(message).toContain(`but this machine has ${(totalmem() / 2 ** 30).toFixed(2)} GiB`);
    expect(await dispatcher.call('jobs.list', {})).toEqual({ ok: true, result: [] });
    expect(readdirSync(path.join(root, 'saes'))).toEqual([]);
  });
});
