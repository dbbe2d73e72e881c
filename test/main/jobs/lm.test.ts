// lm.train through the contract: a pretraining job on a workspace dataset, paused and resumed, with
// the loss curve in its progress stream and the model it writes listed and loadable.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiEvent, ApiMethod, JobInfo, ParamsOf, ResultOf } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import { grammarCorpus } from '../lm/fixture.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-lm-job-'));
const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });
const events: ApiEvent[] = [];
dispatcher.subscribe((event) => events.push(event));
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

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

// On two worker threads: pausing (which stops the trainer by a checkpoint) and resuming work with them too.
const PARAMS = { name: 'small-lm', dataset: 'grammar', layers: 1, dModel: 16, heads: 2, ctx: 16, tokens: 12 * 8 * 16, batch: 8, lr: 3e-3, evalEvery: 6, threads: 2 };

describe('lm.train', () => {
  it('pretrains a model as a pausable job whose progress carries the train and held-out loss', async () => {
    cpSync(grammarCorpus(), path.join(root, 'datasets', 'grammar'), { recursive: true });
    const { jobId } = await call('lm.train', PARAMS);
    expect((await call('jobs.pause', { jobId })).state).toBe('paused');
    for (let i = 0; events.every((e) => e.type !== 'job.log' || !e.message.startsWith('training stopped')); i++) {
      if (i > 1200) throw new Error('the paused trainer never stopped');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await call('jobs.resume', { jobId });
    const job = await finished(jobId);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    expect(job.kind).toBe('lm-train');
    expect(job.result!.wrote).toEqual(['model:small-lm']);
    expect(job.result!.summary).toMatchObject({ steps: 12, tokens: 12 * 8 * 16 });
    expect(events.some((e) => e.type === 'job.log' && e.jobId === jobId && / on 2 worker threads/.test(e.message))).toBe(true);
    const progress = events.flatMap((e) => (e.type === 'job.progress' && e.jobId === jobId ? [e.progress] : []));
    expect(progress.at(-1)).toMatchObject({ done: 12 * 8 * 16, total: 12 * 8 * 16, unit: 'tokens', phase: 'training' });
    expect(progress.at(-1)!.series.train!.loss).toBeGreaterThan(0);
    // The final evaluation comes after the last step's report and is re-sent with it.
    expect(progress.at(-1)!.series.held_out!.loss).toBe(job.result!.summary.held_out_loss);
    expect(progress.at(-1)!.metrics.tokens_per_s).toBeGreaterThan(0);

    const listing = await call('workspace.list', {});
    expect(listing.models).toMatchObject([{ id: 'small-lm', nLayers: 1, dModel: 16, nHeads: 2, nCtx: 16, vocabSize: 50257 }]);
    (await loadGpt2(path.join(root, 'models', 'small-lm'))).dispose();
  });

  it('fits the model\'s own BPE first when vocabSize is given, and the model carries it', async () => {
    const { jobId } = await call('lm.train', { ...PARAMS, name: 'bpe-lm', vocabSize: 280, tokens: 4 * 8 * 16, threads: 1 });
    const job = await finished(jobId);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    expect(events.some((e) => e.type === 'job.log' && e.jobId === jobId && /^fitted a byte-level BPE of 280 tokens on \d+ training documents/.test(e.message))).toBe(true);
    const listing = await call('workspace.list', {});
    expect(listing.models.find((m) => m.id === 'bpe-lm')).toMatchObject({ vocabSize: 280 });
    const dir = path.join(root, 'models', 'bpe-lm');
    expect((await loadTokenizer(dir)).vocabSize).toBe(280);
    const model = await loadGpt2(dir);
    expect(model.config).toMatchObject({ vocabSize: 280, eosTokenId: 279, bosTokenId: 279 });
    model.dispose();
  });

  it('refuses an existing name, an unknown dataset and a bad shape, naming the field', async () => {
    const codeOf = async (params: unknown) => {
      const r = await dispatcher.call('lm.train', params);
      return r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`;
    };
    expect(await codeOf(PARAMS)).toMatch(/^conflict: lm.train: model "small-lm" already exists/);
    expect(await codeOf({ ...PARAMS, name: 'other', dataset: 'nope' })).toMatch(/^not_found: lm.train: no dataset "nope"/);
    expect(await codeOf({ ...PARAMS, name: 'other', heads: 3 })).toMatch(/^bad_request: lm.train: .*"heads" = 3 is invalid; expected a divisor of dModel \(16\)/);
    expect(await codeOf({ ...PARAMS, name: 'other', threads: 9 })).toMatch(/^bad_request: lm.train: .*"threads" = 9 is invalid; expected an integer from 1 to 8/);
    expect(await codeOf({ ...PARAMS, name: 'other', from: 'small-lm', vocabSize: 300 })).toMatch(/^bad_request: lm.train: vocabSize 300 fits a new vocabulary, but a model continued from "small-lm" keeps its own/);
    expect(await codeOf({ ...PARAMS, name: 'other', vocabSize: 257 })).toMatch(/^bad_request: lm.train: .*vocabSize/);
    expect(await codeOf({ ...PARAMS, name: '../x' })).toMatch(/^bad_request: lm.train: "name" must be a name of letters/);
  });
});
