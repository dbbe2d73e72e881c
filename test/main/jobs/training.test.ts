// training.start after a failed run: the family name is free again, since the failed run left nothing
// to keep (it used to leave an empty folder, after which the name answered `conflict`).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiMethod, JobInfo, ParamsOf, ResultOf } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { recoverTrainingJob } from '../../../src-main/jobs/handlers/training.js';
import type { JobRecord } from '../../../src-main/jobs/job-store.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-training-'));
const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

async function call<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const response = await dispatcher.call(method, params);
  if (!response.ok) throw new Error(`${method}: ${response.error.code}: ${response.error.message}`);
  return response.result as ResultOf<M>;
}

function finished(jobId: string): Promise<JobInfo> {
  return new Promise((resolve) => {
    const off = dispatcher.subscribe((event) => {
      if (event.type === 'job.state' && event.job.id === jobId && ['done', 'failed', 'cancelled'].includes(event.job.state)) {
        off();
        resolve(event.job);
      }
    });
  });
}

describe('training.start', () => {
  it('removes the family folder of a failed run, so the name can be used again', async () => {
    await call('workspace.createTinyModel', { name: 'tiny', layers: 1, dModel: 16, heads: 2, ctx: 64 });
    writeFileSync(path.join(root, 'datasets', 'short.txt'), 'Too short.');
    const params = { model: 'tiny', dataset: 'short.txt', hook: 'blocks.0.hook_resid_post', latents: [16], k: 4, tokens: 1024, family: 'fam' };
    for (let attempt = 0; attempt < 2; attempt++) {
      const { jobId } = await call('training.start', params);
      const job = await finished(jobId);
      expect(job.state).toBe('failed');
      expect(job.error!.message).toMatch(/too short to train on/);
      expect(existsSync(path.join(root, 'saes', 'fam'))).toBe(false);
    }
  });

  it('after a crash, keeps a family with a checkpoint to resume, and frees the name of one with nothing in it', async () => {
    const record = (family: string): JobRecord => ({ info: { id: 'job-9', kind: 'train' } as JobInfo, owner: 1, request: { method: 'training.start', params: { family } } });
    mkdirSync(path.join(root, 'saes', 'resumable'));
    writeFileSync(path.join(root, 'saes', 'resumable', 'checkpoint.safetensors'), 'a checkpoint');
    mkdirSync(path.join(root, 'saes', 'early'));
    writeFileSync(path.join(root, 'saes', 'early', '.checkpoint.safetensors.1.0badf00d.tmp'), 'cut short');
    expect(await recoverTrainingJob(record('resumable'), dispatcher.context.workspace)).toBe(true);
    expect(await recoverTrainingJob(record('early'), dispatcher.context.workspace)).toBe(false);
    expect(existsSync(path.join(root, 'saes', 'resumable', 'checkpoint.safetensors'))).toBe(true);
    expect(existsSync(path.join(root, 'saes', 'early'))).toBe(false);
  });
});
