// The standing fault suite: kill -9 of the compute process during each kind of job, and of `serve`
// itself, on a tiny model. Afterwards every job has ended (failed, with the reason, resumable where
// its checkpoint survived), the workspace lists, its database and checkpoints open, no temporary
// file is left, and a resumable training resumes to the end. Figures: docs/reliability.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiEvent, ApiMethod, ApiResponse, JobInfo, ParamsOf, ResultOf } from '../../../src-shared/api.js';
import { ComputeHost } from '../../../src-main/jobs/host.js';
import { openStore } from '../../../src-main/store/open.js';
import { LM_CHECKPOINT_FILE } from '../../../src-main/lm/trainer.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { CHECKPOINT_FILE, readCheckpoint } from '../../../src-main/train/checkpoint.js';
import { grammarCorpus } from '../lm/fixture.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-kill9-'));
const workspace = path.join(root, 'workspace');
const host = new ComputeHost({ workspace });
const events: ApiEvent[] = [];
host.subscribe((event) => events.push(event));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await host.close();
  rmSync(root, { recursive: true, force: true });
});

function unwrap<M extends ApiMethod>(method: M, response: ApiResponse<unknown>): ResultOf<M> {
  if (!response.ok) throw new Error(`${method}: ${response.error.code}: ${response.error.message}`);
  return response.result as ResultOf<M>;
}

async function call<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  return unwrap(method, await host.call(method, params));
}

/** Resolves with the first event, already seen or still to come, that `match` accepts. */
function nextEvent<E extends ApiEvent>(match: (event: ApiEvent) => event is E): Promise<E>;
function nextEvent(match: (event: ApiEvent) => boolean): Promise<ApiEvent>;
function nextEvent(match: (event: ApiEvent) => boolean): Promise<ApiEvent> {
  const seen = events.find(match);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const off = host.subscribe((event) => {
      if (!match(event)) return;
      off();
      resolve(event);
    });
  });
}

const progressOf = (jobId: string, phase: (phase: string) => boolean) => (event: ApiEvent) =>
  event.type === 'job.progress' && event.jobId === jobId && phase(event.progress.phase);
const logOf = (jobId: string, text: RegExp) => (event: ApiEvent) => event.type === 'job.log' && event.jobId === jobId && text.test(event.message);
const stateOf = (jobId: string, states: string[]) => (event: ApiEvent): event is Extract<ApiEvent, { type: 'job.state' }> =>
  event.type === 'job.state' && event.job.id === jobId && states.includes(event.job.state);

/** Kills the compute process with SIGKILL as soon as `when` is seen, and returns the job's state from the restarted process. */
async function killComputeWhen(jobId: string, when: (event: ApiEvent) => boolean): Promise<JobInfo> {
  await nextEvent(when);
  const pid = host.pid!;
  process.kill(pid, 'SIGKILL');
  events.length = 0;
  const { job } = await nextEvent(stateOf(jobId, ['failed']));
  expect(host.pid).not.toBe(pid);
  return job;
}

/** Temporary files and folders the atomic writers, the trainer and the store leave when killed mid-write. */
function temporaryFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (/\.tmp$|\.tmp-|\.old-/.test(entry.name)) found.push(full);
    else if (entry.isDirectory()) found.push(...temporaryFiles(full));
  }
  return found;
}

async function finished(jobId: string): Promise<JobInfo> {
  return (await nextEvent(stateOf(jobId, ['done', 'failed', 'cancelled']))).job;
}

const TINY = { name: 'tiny', layers: 1, dModel: 16, heads: 2, ctx: 64 };
const STEPS = 60;
const TRAIN = { model: 'tiny', dataset: 'embedded:sotu', hook: 'blocks.0.hook_resid_post', latents: [16, 32], k: 4, tokens: 512 * STEPS, batch: 512, evalTokens: 0 };
const INTERRUPTED = /^interrupted: the compute process \(pid \d+\) stopped while job job-\d+ was (running|paused); /;

describe('kill -9 during each kind of job', () => {
  it('training: the job fails as interrupted and resumable, and resumes from its checkpoint to the end', async () => {
    await call('workspace.createTinyModel', TINY);
    const { jobId } = await call('training.start', { ...TRAIN, family: 'fam' });
    // A checkpoint first (pausing writes one), then a kill while it runs again.
    await nextEvent(progressOf(jobId, (phase) => phase === 'training'));
    await call('jobs.pause', { jobId });
    await nextEvent(logOf(jobId, /^training stopped at step \d+$/));
    await call('jobs.resume', { jobId });
    events.length = 0;
    const job = await killComputeWhen(jobId, progressOf(jobId, (phase) => phase === 'training'));
    expect(job.error!.message).toMatch(INTERRUPTED);
    expect(job.error!.message).toMatch(/jobs\.resume continues it from its checkpoint$/);
    expect(job.resumable).toBe(true);

    const family = path.join(workspace, 'saes', 'fam');
    const checkpoint = readCheckpoint<{ step: number }>(path.join(family, CHECKPOINT_FILE));
    expect(checkpoint.run.step).toBeGreaterThan(0);
    expect(checkpoint.run.step).toBeLessThan(STEPS);

    const continued = await call('jobs.resume', { jobId });
    expect(continued.id).not.toBe(jobId);
    expect((await call('jobs.list', {})).find((j) => j.id === jobId)!.resumable).toBe(false);
    await expect(call('jobs.resume', { jobId })).rejects.toThrow(/conflict: job job-\d+ is failed; it ran in an earlier compute process \(pid \d+\)/);
    const done = await finished(continued.id);
    expect(done.state).toBe('done');
    expect(done.result).toMatchObject({ wrote: ['sae:fam/16', 'sae:fam/32'], summary: { steps: STEPS } });
    expect(events.some(logOf(continued.id, new RegExp(`^resumed .*${CHECKPOINT_FILE} at step ${checkpoint.run.step} of ${STEPS}$`)))).toBe(true);
    expect((await call('workspace.list', {})).families).toMatchObject([{ id: 'fam', sizes: [16, 32] }]);
    expect(temporaryFiles(workspace)).toEqual([]);
  });

  it('language-model training: the job fails as interrupted and resumable, and resumes from its checkpoint to the end', async () => {
    cpSync(grammarCorpus(), path.join(workspace, 'datasets', 'grammar'), { recursive: true });
    events.length = 0;
    const steps = 40;
    const { jobId } = await call('lm.train', { name: 'lm', dataset: 'grammar', layers: 1, dModel: 16, heads: 2, ctx: 16, tokens: steps * 8 * 16, batch: 8, evalEvery: 10 });
    // As for training: a checkpoint first (pausing writes one), then a kill while it runs again.
    await nextEvent(progressOf(jobId, (phase) => phase === 'training'));
    await call('jobs.pause', { jobId });
    await nextEvent(logOf(jobId, /^training stopped/));
    expect(existsSync(path.join(workspace, 'models', 'lm', LM_CHECKPOINT_FILE))).toBe(true);
    await call('jobs.resume', { jobId });
    events.length = 0;
    const job = await killComputeWhen(jobId, progressOf(jobId, (phase) => phase === 'training'));
    expect(job.error!.message).toMatch(INTERRUPTED);
    expect(job.error!.message).toMatch(/jobs\.resume continues it from its checkpoint$/);
    expect(job.resumable).toBe(true);

    const continued = await call('jobs.resume', { jobId });
    expect(continued).toMatchObject({ kind: 'lm-train' });
    const done = await finished(continued.id);
    expect(done.state, JSON.stringify(done.error)).toBe('done');
    expect(done.result).toMatchObject({ wrote: ['model:lm'], summary: { steps } });
    expect(events.some(logOf(continued.id, /^resumed /))).toBe(true);
    (await loadGpt2(path.join(workspace, 'models', 'lm'))).dispose();
    expect(temporaryFiles(workspace)).toEqual([]);
  });

  it('harvest and UMAP: each job fails as interrupted, the database opens whole, and the next harvest completes', async () => {
    events.length = 0;
    const harvest = await call('harvest.start', { model: 'tiny', family: 'fam', dataset: 'embedded:sotu', tokens: 4000 });
    const killedInHarvest = await killComputeWhen(harvest.jobId, progressOf(harvest.jobId, (phase) => phase.startsWith('harvest: ')));
    expect(killedInHarvest.error!.message).toMatch(INTERRUPTED);
    expect(killedInHarvest.resumable).toBe(false);

    events.length = 0;
    const umap = await call('harvest.start', { model: 'tiny', family: 'fam', dataset: 'embedded:sotu', tokens: 4000 });
    const killedInUmap = await killComputeWhen(umap.jobId, progressOf(umap.jobId, (phase) => phase.startsWith('umap: ')));
    expect(killedInUmap.error!.message).toMatch(INTERRUPTED);

    const dbFile = path.join(workspace, 'db', 'features.sqlite');
    const db = openStore(dbFile, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    // The harvest before the UMAP kill had committed: its features are there to browse.
    expect((await call('features.list', { model: 'tiny', sae: 'fam/16' })).total).toBe(16);
    events.length = 0;
    const again = await call('harvest.start', { model: 'tiny', family: 'fam', dataset: 'embedded:sotu', tokens: 1000 });
    expect((await finished(again.jobId)).result).toMatchObject({ summary: { umap_points: 48 } });
    expect(temporaryFiles(workspace)).toEqual([]);
  });
});

describe('kill -9 of serve', () => {
  it('the compute process stops its training with a checkpoint; the next start reports it interrupted and resumes it', async () => {
    const rendererDir = path.join(root, 'renderer');
    mkdirSync(rendererDir, { recursive: true });
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html>');
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./serve-child.ts', import.meta.url)), workspace, rendererDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const { port, token, computePid } = await new Promise<{ port: number; token: string; computePid: number }>((resolve, reject) => {
      child.stdout!.once('data', (line: Buffer) => resolve(JSON.parse(line.toString('utf8')) as { port: number; token: string; computePid: number }));
      child.once('exit', (code) => reject(new Error(`serve-child exited (${code}) before printing its address`)));
    });
    const post = async <M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> => {
      const response = await fetch(`http://127.0.0.1:${port}/api/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(params) });
      return unwrap(method, (await response.json()) as ApiResponse<unknown>);
    };
    const { jobId } = await post('training.start', { ...TRAIN, family: 'served' });
    while ((await post('jobs.list', {})).find((j) => j.id === jobId)!.progress?.phase !== 'training') await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGKILL');
    // The compute process notices its parent is gone (the IPC channel closes) and stops the job.
    while (isAlive(computePid)) await new Promise((resolve) => setTimeout(resolve, 50));

    const after = new ComputeHost({ workspace });
    try {
      const resumedEvents: ApiEvent[] = [];
      after.subscribe((event) => resumedEvents.push(event));
      const job = unwrap('jobs.list', await after.call('jobs.list', {})).find((j) => j.id === jobId)!;
      expect(job).toMatchObject({ state: 'failed', resumable: true });
      expect(job.error!.message).toMatch(INTERRUPTED);
      const continued = unwrap('jobs.resume', await after.call('jobs.resume', { jobId }));
      for (;;) {
        const now = unwrap('jobs.list', await after.call('jobs.list', {})).find((j) => j.id === continued.id)!;
        if (now.state === 'done') {
          expect(now.result!.summary.steps).toBe(STEPS);
          break;
        }
        expect(['queued', 'running']).toContain(now.state);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(resumedEvents.some((e) => e.type === 'job.log' && e.jobId === continued.id && /^resumed /.test(e.message))).toBe(true);
    } finally {
      await after.close();
    }
    expect(temporaryFiles(workspace)).toEqual([]);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
