// saes.evaluate through the dispatcher: a real evaluation of an SAE on the tiny model, stored in the
// SAE's eval.json and listed with it, equal to what the CLI's evaluator computes; and the refusals.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiMethod, JobInfo, ParamsOf, ResultOf } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { evaluateSae } from '../../../src-main/train/eval.js';
import { D_MODEL, randomTopKSae } from '../features/harvest-fixtures.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-eval-job-'));
const warnings: string[] = [];
const dispatcher = new Dispatcher({ workspace: root, warn: (message) => warnings.push(message) });

async function call<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const response = await dispatcher.call(method, params);
  if (!response.ok) throw new Error(`${method}: ${response.error.code}: ${response.error.message}`);
  return response.result as ResultOf<M>;
}

async function finished(jobId: string): Promise<JobInfo> {
  for (;;) {
    const job = (await call('jobs.list', {})).find((j) => j.id === jobId)!;
    if (['done', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sae = randomTopKSae(16, 7, 3);
// Two windows of the SAE's 64-token context, BOS excluded.
const TOKENS = 2 * 63;

beforeAll(async () => {
  await call('workspace.createTinyModel', { name: 'tiny', layers: 2, dModel: D_MODEL, heads: 2, ctx: 64 });
  saveSaeLens(path.join(root, 'saes', 'fam', '16'), sae);
  saveSaeLens(path.join(root, 'saes', 'broken'), randomTopKSae(8, 1, 2));
  writeFileSync(path.join(root, 'saes', 'broken', 'eval.json'), JSON.stringify({ eval_fvu: 'high' }));
}, 60_000);
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

describe('saes.evaluate', () => {
  it('evaluates an SAE as a job, stores eval.json with it and lists the figures the CLI evaluator gives', async () => {
    expect((await call('workspace.list', {})).saes.find((s) => s.id === 'fam/16')!.evaluation).toBeNull();
    const { jobId } = await call('saes.evaluate', { sae: 'fam/16', model: 'tiny', dataset: 'embedded:sotu', tokens: TOKENS, batch: 2 });
    const job = await finished(jobId);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    expect(job.kind).toBe('sae-eval');
    expect(job.result!.wrote).toEqual(['sae:fam/16']);

    const stored = JSON.parse(readFileSync(path.join(root, 'saes', 'fam', '16', 'eval.json'), 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ model: 'tiny', dataset: 'embedded:sotu', tokens: TOKENS, d_sae: 16, k: 3 });
    const listed = (await call('workspace.list', {})).saes.find((s) => s.id === 'fam/16')!.evaluation!;
    expect(listed).toEqual({
      tokens: TOKENS,
      evalFvu: stored.eval_fvu,
      l0: stored.l0,
      neverFiredFrac: stored.never_fired_frac,
      deltaLmLoss: stored.delta_lm_loss,
      ceLossScore: stored.ce_loss_score,
      klDiv: stored.kl_div,
      model: 'tiny',
      dataset: 'embedded:sotu',
    });
    expect(job.result!.summary).toMatchObject({ tokens: TOKENS, eval_fvu: listed.evalFvu, l0: listed.l0, never_fired_frac: listed.neverFiredFrac });
    // Top-k with a positive encoder bias fires exactly k latents per token.
    expect(listed.l0).toBe(3);
    expect(listed.evalFvu).toBeGreaterThan(0);

    // The same evaluator the CLI's `sae eval` runs, on the same model, corpus and tokens.
    const model = await loadGpt2(path.join(root, 'models', 'tiny'));
    try {
      const direct = await evaluateSae({ model, sae, dataset: 'sotu', tokens: TOKENS, batch: 2 });
      expect(listed.evalFvu).toBeCloseTo(direct.evalFvu, 5);
      expect(listed.neverFiredFrac).toBe(direct.neverFiredFrac);
      expect(listed.deltaLmLoss).toBeCloseTo(direct.deltaLmLoss, 5);
      expect(listed.ceLossScore).toBeCloseTo(direct.ceLossScore, 5);
    } finally {
      model.dispose();
    }
  }, 120_000);

  it('fails the job, naming the mismatch, when the SAE does not fit the chosen model, and keeps the stored eval.json', async () => {
    await call('workspace.createTinyModel', { name: 'wide', layers: 2, dModel: 2 * D_MODEL, heads: 2, ctx: 64 });
    const before = readFileSync(path.join(root, 'saes', 'fam', '16', 'eval.json'), 'utf8');
    const { jobId } = await call('saes.evaluate', { sae: 'fam/16', model: 'wide', dataset: 'embedded:sotu', tokens: TOKENS });
    const job = await finished(jobId);
    expect(job.state).toBe('failed');
    expect(job.error!.message).toMatch(/saes[/\\]fam[/\\]16: SAE d_in is 16 but hook "blocks.1.hook_resid_post" of this model \(d_model 32, 2 layers\) has width 32$/);
    expect(readFileSync(path.join(root, 'saes', 'fam', '16', 'eval.json'), 'utf8')).toBe(before);
  }, 60_000);

  it('lists an SAE with a broken eval.json as not evaluated and says which file is wrong', async () => {
    warnings.length = 0;
    const broken = (await call('workspace.list', {})).saes.find((s) => s.id === 'broken')!;
    expect(broken.evaluation).toBeNull();
    expect(warnings).toEqual([expect.stringMatching(/^ignored .*broken[/\\]eval\.json: "tokens" must be a number, got undefined; re-evaluate the SAE to rewrite it$/)]);
  });

  it('refuses an unknown SAE or model, a bad dataset id and a bad token count, naming the field', async () => {
    const answer = async (params: unknown) => {
      const r = await dispatcher.call('saes.evaluate', params);
      return r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`;
    };
    const good = { sae: 'fam/16', model: 'tiny', dataset: 'embedded:sotu', tokens: TOKENS };
    expect(await answer({ ...good, sae: 'fam/32' })).toMatch(/^not_found: saes.evaluate: no SAE "fam\/32"/);
    expect(await answer({ ...good, sae: '../fam' })).toMatch(/^bad_request: saes.evaluate: "sae" must be an SAE id like "family\/4096"/);
    expect(await answer({ ...good, model: 'gpt2' })).toMatch(/^not_found: saes.evaluate: no model "gpt2" .*\(have: tiny, wide\)/);
    expect(await answer({ ...good, dataset: 'nope.txt' })).toMatch(/^not_found: saes.evaluate: no dataset "nope.txt"/);
    expect(await answer({ ...good, dataset: '../secret' })).toMatch(/^bad_request: saes.evaluate: "dataset" must be a file or folder name under datasets\//);
    expect(await answer({ ...good, tokens: 0 })).toMatch(/^bad_request: saes.evaluate: "tokens" /);
    expect(await answer({ ...good, tokens: 12.5 })).toMatch(/^bad_request: saes.evaluate: "tokens" /);
    expect(await answer({ ...good, tokens: '100' })).toMatch(/^bad_request: saes.evaluate: "tokens" /);
    expect(await answer({ ...good, extra: 1 })).toMatch(/^bad_request: saes.evaluate: .*"extra"/);
  });
});
