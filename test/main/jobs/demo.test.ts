// demo.build through the handlers: one job that makes the model, trains, harvests and maps, with its
// step in every progress phase; a call while it runs answers the same job, and once everything is
// built the answer is that there is nothing to do. The tiny model keeps it to seconds.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiEvent, DemoBuildParams, FamilyCounterparts, FamilyPage, FeatureMap, JobInfo, WorkspaceListing } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-demo-build-'));
const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });
const events: ApiEvent[] = [];
dispatcher.subscribe((event) => events.push(event));
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

async function build(params: DemoBuildParams): Promise<string | null> {
  const response = await dispatcher.call('demo.build', params);
  if (!response.ok) throw new Error(`${response.error.code}: ${response.error.message}`);
  return (response.result as { jobId: string | null }).jobId;
}

async function finished(jobId: string): Promise<JobInfo> {
  for (;;) {
    const response = await dispatcher.call('jobs.list', {});
    const job = (response.ok ? (response.result as JobInfo[]) : []).find((j) => j.id === jobId)!;
    if (['done', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const SMALL: DemoBuildParams = { model: 'tiny', expansion: [1, 2], tokens: 2048, batch: 512, evalTokens: 0, harvestTokens: 1000 };

describe('demo.build', () => {
  it('builds the demo as one job, then has nothing left to do', async () => {
    const jobId = await build(SMALL);
    expect(jobId).not.toBeNull();
    expect(await build(SMALL)).toBe(jobId);
    const job = await finished(jobId!);
    expect(job.error).toBeNull();
    expect(job.state).toBe('done');
    expect(job.kind).toBe('demo');
    expect(job.result!.wrote).toEqual([
      'model:tiny-gpt2',
      'sae:demo-tiny-gpt2-blocks.1.hook_resid_pre/64',
      'sae:demo-tiny-gpt2-blocks.1.hook_resid_pre/128',
      'db:features.sqlite',
    ]);
    const phases = new Set(events.flatMap((e) => (e.type === 'job.progress' && e.jobId === jobId ? [e.progress.phase.replace(/: .*/, '')] : [])));
    expect([...phases]).toEqual(['1/2 train', '2/2 harvest + map']);

    const map = await dispatcher.call('features.map', { model: 'tiny-gpt2', family: 'demo-tiny-gpt2-blocks.1.hook_resid_pre' });
    expect(map.ok && (map.result as FeatureMap).count).toBe(64 + 128);
    expect(await build(SMALL)).toBeNull();
  });

  it('adds a checkpoints set when the model carries snapshots, which family.counterparts then serves', async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'sae-demo-checkpoints-'));
    const other = new Dispatcher({ workspace: scratch, warn: () => {} });
    const seen: ApiEvent[] = [];
    other.subscribe((event) => seen.push(event));
    try {
      // The workspace's tiny model, made here with two snapshots of "its pretraining" (other seeds).
      const model = path.join(scratch, 'models', 'tiny-gpt2');
      createTinyModel(model);
      createTinyModel(path.join(model, 'snapshots', 'step-2'), { seed: 2 });
      createTinyModel(path.join(model, 'snapshots', 'step-10'), { seed: 10 });
      const params = { ...SMALL, checkpointTokens: 2048 };
      const started = await other.call('demo.build', params);
      const jobId = started.ok ? (started.result as { jobId: string }).jobId : null;
      const job = await (async () => {
        for (;;) {
          const list = await other.call('jobs.list', {});
          const found = (list.ok ? (list.result as JobInfo[]) : []).find((j) => j.id === jobId)!;
          if (['done', 'failed', 'cancelled'].includes(found.state)) return found;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      expect(job.error).toBeNull();
      const set = 'demo-tiny-gpt2-checkpoints-blocks.1.hook_resid_pre';
      expect(job.result!.wrote).toEqual([
        'model:tiny-gpt2',
        'sae:demo-tiny-gpt2-blocks.1.hook_resid_pre/64',
        'sae:demo-tiny-gpt2-blocks.1.hook_resid_pre/128',
        `sae:${set}/step-2`,
        `sae:${set}/step-10`,
        `sae:${set}/final`,
        'db:features.sqlite',
      ]);
      for (const label of ['step-2', 'step-10']) {
        const share = job.result!.summary[`share_present_${label}`];
        expect(typeof share === 'number' && share >= 0 && share <= 1, `${label}: ${share}`).toBe(true);
      }
      const phases = new Set(seen.flatMap((e) => (e.type === 'job.progress' && e.jobId === jobId ? [e.progress.phase.replace(/: .*/, '')] : [])));
      expect([...phases]).toEqual(['1/4 train', '2/4 harvest + map', '3/4 train checkpoints', '4/4 harvest checkpoints']);
      // The set's training names the member its bar counts the tokens of.
      const trained = new Set(seen.flatMap((e) => (e.type === 'job.progress' && e.jobId === jobId ? [/^3\/4 train checkpoints: (.*?), /.exec(e.progress.phase)?.[1]] : [])).filter(Boolean));
      expect([...trained]).toEqual(['step-2 (1 of 3)', 'step-10 (2 of 3)', 'final (3 of 3)']);

      const listing = await other.call('workspace.list', {});
      const entry = (listing.ok ? (listing.result as WorkspaceListing) : null)!;
      expect(entry.models.map((m) => m.id)).toEqual(['tiny-gpt2']);
      expect(entry.families.find((f) => f.id === set)).toMatchObject({ kind: 'checkpoints', labels: ['step-2', 'step-10', 'final'], sizes: [64, 64, 64] });
      const across = await other.call('family.counterparts', { model: 'tiny-gpt2', sae: `${set}/final`, latent: 0 });
      if (!across.ok) throw new Error(across.error.message);
      const members = (across.result as FamilyCounterparts).members;
      expect(members.map((m) => [m.label, m.sharePresent === null ? null : job.result!.summary[`share_present_${m.label}`] === m.sharePresent])).toEqual([
        ['step-2', true],
        ['step-10', true],
        ['final', null],
      ]);
      expect(members[0]!.counterparts.length).toBeGreaterThan(0);
      const page = await other.call('family.page', { family: set });
      if (!page.ok) throw new Error(page.error.message);
      expect((page.result as FamilyPage).members.map((m) => m.sharePresent)).toEqual([...members.slice(0, 2).map((m) => m.sharePresent), null]);
      expect(await other.call('demo.build', params)).toEqual({ ok: true, result: { jobId: null } });
    } finally {
      await other.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('continues a checkpoints set cancelled mid-training: finished members kept, the stopped one from its checkpoint', async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'sae-demo-resume-'));
    const other = new Dispatcher({ workspace: scratch, warn: () => {} });
    const seen: ApiEvent[] = [];
    other.subscribe((event) => seen.push(event));
    const start = async (params: DemoBuildParams) => {
      const started = await other.call('demo.build', params);
      if (!started.ok) throw new Error(started.error.message);
      return (started.result as { jobId: string }).jobId;
    };
    const end = async (jobId: string) => {
      for (;;) {
        const list = await other.call('jobs.list', {});
        const found = (list.ok ? (list.result as JobInfo[]) : []).find((j) => j.id === jobId)!;
        if (['done', 'failed', 'cancelled'].includes(found.state)) return found;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const trainedTokens = (jobId: string, member: string) =>
      seen.flatMap((e) => (e.type === 'job.progress' && e.jobId === jobId && e.progress.phase.startsWith(`3/4 train checkpoints: ${member} `) && e.progress.phase.endsWith('training') ? [e.progress.done] : []));
    try {
      const model = path.join(scratch, 'models', 'tiny-gpt2');
      createTinyModel(model);
      createTinyModel(path.join(model, 'snapshots', 'step-2'), { seed: 2 });
      createTinyModel(path.join(model, 'snapshots', 'step-10'), { seed: 10 });
      const params = { ...SMALL, expansion: [1], checkpointTokens: 32_768 };
      const first = await start(params);
      // Cancelled once the second member has trained a little.
      while (!trainedTokens(first, 'step-10').some((done) => done > 0)) await new Promise((resolve) => setTimeout(resolve, 10));
      expect((await other.call('jobs.cancel', { jobId: first })).ok).toBe(true);
      expect((await end(first)).state).toBe('cancelled');
      const set = path.join(scratch, 'saes', 'demo-tiny-gpt2-checkpoints-blocks.1.hook_resid_pre');
      expect(existsSync(path.join(set, 'step-2', 'cfg.json'))).toBe(true);
      expect(existsSync(path.join(set, '.train-step-10', 'checkpoint.safetensors'))).toBe(true);
      const stoppedAt = Math.max(...trainedTokens(first, 'step-10'));

      const second = await start(params);
      const job = await end(second);
      expect(job.error).toBeNull();
      expect(job.state).toBe('done');
      const logs = seen.flatMap((e) => (e.type === 'job.log' && e.jobId === second ? [e.message] : []));
      expect(logs).toContain('checkpoint 1/3 (step-2) already trained, kept');
      expect(trainedTokens(second, 'step-2')).toEqual([]);
      // The stopped member continues past where it was, not from its first step.
      expect(trainedTokens(second, 'step-10')[0]).toBeGreaterThan(stoppedAt);
      expect(existsSync(path.join(set, 'family.json'))).toBe(true);
    } finally {
      await other.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('stops at once when cancelled before training starts, without training a step', async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'sae-demo-cancel-'));
    const other = new Dispatcher({ workspace: scratch, warn: () => {} });
    const seen: ApiEvent[] = [];
    other.subscribe((event) => seen.push(event));
    try {
      const started = await other.call('demo.build', { ...SMALL, tokens: 1_000_000 });
      const jobId = started.ok ? (started.result as { jobId: string }).jobId : null;
      expect(jobId).not.toBeNull();
      // Cancelled while the job is still loading: the trainer's listener comes later and must still see it.
      expect((await other.call('jobs.cancel', { jobId })).ok).toBe(true);
      for (;;) {
        const list = await other.call('jobs.list', {});
        const job = (list.ok ? (list.result as JobInfo[]) : []).find((j) => j.id === jobId)!;
        if (['done', 'failed', 'cancelled'].includes(job.state)) {
          expect(job.state).toBe('cancelled');
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const steps = seen.flatMap((e) => (e.type === 'job.progress' && typeof e.progress.metrics.step === 'number' ? [e.progress.metrics.step] : []));
      expect(steps).toEqual([]);
    } finally {
      await other.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('refuses settings outside the bounds, naming the field', async () => {
    const response = await dispatcher.call('demo.build', { model: 'gpt2' });
    expect(response).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringMatching(/demo\.build: "model" must be one of/) } });
    const unknown = await dispatcher.call('demo.build', { tokenz: 5 });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringMatching(/tokenz/) } });
  });
});
