// compare.start / compare.get / compare.list through the dispatcher on the tiny model: an SAE against
// a permuted copy of itself is matched back latent for latent, every pair firing together (r = 1),
// stored in comparisons/<job id>.json and listed; a cancelled comparison stores nothing; and the
// refusals (unknown ids, another site, bad numbers, a damaged file), each naming what is wrong.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, SaeComparison } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import type { SaeBundle } from '../../../src-main/sae/types.js';
import { D_MODEL, randomTopKSae } from '../features/harvest-fixtures.js';
import { dispatcherCalls } from './dispatcher-calls.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-compare-job-'));
const warnings: string[] = [];
const dispatcher = new Dispatcher({ workspace: root, warn: (message) => warnings.push(message) });

const { call, answer, finished } = dispatcherCalls(dispatcher);

/** Latent j of the copy is latent perm[j] of `a`: the same dictionary in another order. */
function permutedCopy(a: SaeBundle, perm: number[]): SaeBundle {
  const d = a.spec.dIn;
  const m = a.spec.dSae;
  const W_enc = new Float32Array(d * m);
  const W_dec = new Float32Array(m * d);
  perm.forEach((from, j) => {
    for (let r = 0; r < d; r++) W_enc[r * m + j] = a.weights.W_enc[r * m + from]!;
    W_dec.set(a.weights.W_dec.subarray(from * d, (from + 1) * d), j * d);
  });
  return { spec: a.spec, weights: { W_enc, W_dec, b_enc: Float32Array.from(perm, (from) => a.weights.b_enc[from]!), b_dec: a.weights.b_dec } };
}

const D_SAE = 16;
const original = randomTopKSae(D_SAE, 7, 3);
const perm = Array.from({ length: D_SAE }, (_, i) => i).sort((x, y) => Math.sin(x * 5.1) - Math.sin(y * 5.1));
// Four windows of the SAEs' 64-token context, BOS excluded.
const TOKENS = 4 * 63;
const GOOD = { a: 'fam/16', b: 'perm/16', model: 'tiny', dataset: 'embedded:sotu', tokens: TOKENS };

beforeAll(async () => {
  await call('workspace.createTinyModel', { name: 'tiny', layers: 2, dModel: D_MODEL, heads: 2, ctx: 64 });
  saveSaeLens(path.join(root, 'saes', 'fam', '16'), original);
  saveSaeLens(path.join(root, 'saes', 'perm', '16'), permutedCopy(original, perm));
  saveSaeLens(path.join(root, 'saes', 'early'), { ...original, spec: { ...original.spec, hookName: 'blocks.0.hook_resid_post' } });
  const wide = randomTopKSae(D_SAE, 8, 3);
  saveSaeLens(path.join(root, 'saes', 'wide'), { spec: { ...wide.spec, dIn: 2 * D_MODEL }, weights: { ...wide.weights, W_enc: new Float32Array(2 * D_MODEL * D_SAE), W_dec: new Float32Array(D_SAE * 2 * D_MODEL), b_dec: new Float32Array(2 * D_MODEL) } });
}, 60_000);
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

describe('compare.start', () => {
  let stored: SaeComparison;

  it('matches an SAE with a permuted copy of itself as a job, stores the result and serves it', async () => {
    const { jobId } = await call('compare.start', GOOD);
    const job = await finished(jobId);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    expect(job.kind).toBe('sae-compare');
    expect(job.result!.wrote).toEqual([`comparison:${jobId}`]);
    const file = path.join(root, 'comparisons', `${jobId}.json`);
    stored = JSON.parse(readFileSync(file, 'utf8')) as SaeComparison;
    expect(await call('compare.get', { id: jobId })).toEqual(stored);

    expect(stored).toMatchObject({ id: jobId, sameModel: true, method: 'hungarian', threshold: 0.7, dataset: 'embedded:sotu', tokens: TOKENS, matched: D_SAE, shareMatchedA: 1, shareMatchedB: 1, notes: [] });
    expect(stored.a).toEqual({ sae: 'fam/16', model: 'tiny', dSae: D_SAE, architecture: 'topk', hookName: 'blocks.1.hook_resid_post', dIn: D_MODEL });
    expect(stored.pairs).toHaveLength(D_SAE);
    for (const pair of stored.pairs) {
      // Latent j of the copy is latent perm[j] of the original.
      expect(perm[pair.b]).toBe(pair.a);
      expect(pair.cosine).toBeCloseTo(1, 5);
    }
    // The two SAEs encode every token alike, so every pair that fired fires together.
    const fired = stored.pairs.filter((p) => p.correlation !== 0);
    expect(fired.length).toBeGreaterThan(D_SAE / 2);
    for (const pair of fired) expect(pair.correlation).toBeCloseTo(1, 4);
    expect(stored.medianCorrelation).toBeCloseTo(1, 4);
    expect(stored.unmatchedA).toEqual([]);
    expect(stored.unmatchedB).toEqual([]);
    expect(stored.histogram.counts.at(-1)).toBe(D_SAE);
    expect(job.result!.summary).toMatchObject({ comparison: jobId, matched: D_SAE, share_matched_a: 1, share_matched_b: 1 });
  }, 120_000);

  it('runs each SAE on its own model when they differ, and says what that means for the cosines', async () => {
    await call('workspace.createTinyModel', { name: 'tiny-other', layers: 2, dModel: D_MODEL, heads: 2, ctx: 64, seed: 5 });
    const { jobId } = await call('compare.start', { ...GOOD, modelB: 'tiny-other' });
    const job = await finished(jobId);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    const c = await call('compare.get', { id: jobId });
    expect(c.sameModel).toBe(false);
    expect(c.b.model).toBe('tiny-other');
    expect(c.notes).toEqual([expect.stringMatching(/^The SAEs read different models \(tiny, tiny-other\): their decoder directions live in two residual streams/)]);
    // Decoder cosines ignore the models; the activations of another model's stream do not follow.
    expect(c.matched).toBe(D_SAE);
    expect(c.medianCorrelation).toBeLessThan(0.99);
    rmSync(path.join(root, 'comparisons', `${jobId}.json`));
  }, 120_000);

  it('lists stored comparisons, newest first, without their pairs', async () => {
    const listed = await call('compare.list', {});
    expect(listed.map((c) => c.id)).toEqual([stored.id]);
    expect(listed[0]).toMatchObject({ a: stored.a, b: stored.b, matched: D_SAE, medianCorrelation: stored.medianCorrelation });
    expect(listed[0]).not.toHaveProperty('pairs');
  });

  it('stops a comparison that is cancelled mid-way and stores nothing', async () => {
    let jobId = '';
    const stop = dispatcher.subscribe((event: ApiEvent) => {
      if (event.type === 'job.progress' && event.jobId === jobId && event.progress.phase === 'correlating activations' && event.progress.done < event.progress.total) {
        dispatcher.context.jobs.cancel(jobId);
      }
    });
    try {
      ({ jobId } = await call('compare.start', { ...GOOD, tokens: 40 * 63 }));
      const job = await finished(jobId);
      expect(job.state).toBe('cancelled');
      expect(existsSync(path.join(root, 'comparisons', `${jobId}.json`))).toBe(false);
      expect((await call('compare.list', {})).map((c) => c.id)).toEqual([stored.id]);
    } finally {
      stop();
    }
  }, 120_000);

  it('refuses unknown ids, SAEs at another site, and bad numbers, naming the field', async () => {
    expect(await answer('compare.start', { ...GOOD, b: 'fam/32' })).toMatch(/^not_found: compare.start: no SAE "fam\/32"/);
    expect(await answer('compare.start', { ...GOOD, a: '../fam' })).toMatch(/^bad_request: compare.start: "a" must be an SAE id like "family\/4096"/);
    expect(await answer('compare.start', { ...GOOD, model: 'gpt2' })).toMatch(/^not_found: compare.start: no model "gpt2" .*\(have: tiny, tiny-other\)/);
    expect(await answer('compare.start', { ...GOOD, modelB: 'gpt2' })).toMatch(/^not_found: compare.start: no model "gpt2"/);
    expect(await answer('compare.start', { ...GOOD, dataset: 'nope.txt' })).toMatch(/^not_found: compare.start: no dataset "nope.txt"/);
    expect(await answer('compare.start', { ...GOOD, b: 'early' })).toBe(
      'bad_request: compare.start: fam/16 reads blocks.1.hook_resid_post but early reads blocks.0.hook_resid_post; only SAEs at the same hook can be compared',
    );
    expect(await answer('compare.start', { ...GOOD, b: 'wide' })).toBe(`bad_request: compare.start: fam/16 has d_in ${D_MODEL} but wide has d_in ${2 * D_MODEL}; only SAEs of the same width can be compared`);
    expect(await answer('compare.start', { ...GOOD, threshold: 1.5 })).toMatch(/^bad_request: compare.start: "threshold" must be a number ≥ 0 ≤ 1, got 1.5/);
    expect(await answer('compare.start', { ...GOOD, tokens: 0 })).toMatch(/^bad_request: compare.start: "tokens" /);
    expect(await answer('compare.start', { ...GOOD, extra: 1 })).toMatch(/^bad_request: compare.start: .*"extra"/);
  });

  it('refuses an unknown or path-shaped comparison id, and names a damaged file, which the list skips', async () => {
    expect(await answer('compare.get', { id: 'job-404' })).toMatch(new RegExp(`^not_found: compare.get: no comparison "job-404" in .*comparisons \\(have: ${stored.id}\\)`));
    expect(await answer('compare.get', { id: '../jobs/job-1' })).toMatch(/^bad_request: compare.get: "id" must be a name/);
    const damaged = path.join(root, 'comparisons', 'broken.json');
    writeFileSync(damaged, '{"id": "broken"}');
    expect(await answer('compare.get', { id: 'broken' })).toBe(`internal: compare.get: ${damaged}: not a comparison (expected "id", "a", "b" and "pairs"); run the comparison again`);
    warnings.length = 0;
    expect((await call('compare.list', {})).map((c) => c.id)).toEqual([stored.id]);
    expect(warnings).toEqual([`compare.list: skipped ${damaged}: not a comparison (expected "id", "a", "b" and "pairs"); run the comparison again`]);
  });
});
