// Jobs outlive the compute process: records in the workspace, ids never reused, unfinished jobs of a
// process that is gone reported as interrupted (resumable where their work can continue).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiEvent, JobInfo } from '../../../src-shared/api.js';
import { JobStore, type JobRecord } from '../../../src-main/jobs/job-store.js';
import { JobManager, type JobSpec } from '../../../src-main/jobs/manager.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function jobsDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sae-jobs-'));
  dirs.push(dir);
  return dir;
}

function manager(dir: string, events: ApiEvent[] = [], warnings: string[] = []): JobManager {
  return new JobManager((event) => events.push(event), Date.now, new JobStore(dir, (message) => warnings.push(message)));
}

const never: JobSpec = { kind: 'train', title: 'never ends', pausable: false, run: () => new Promise(() => {}) };
const instant: JobSpec = { kind: 'harvest', title: 'instant', pausable: false, run: async () => ({ wrote: [], summary: {} }) };

/** The pid of a process that has exited: the owner of a record left behind by a killed compute process. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

async function settled(jobs: JobManager, id: string): Promise<JobInfo> {
  for (;;) {
    const info = jobs.get(id);
    if (['done', 'failed', 'cancelled'].includes(info.state)) return info;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('JobStore and JobManager across restarts', () => {
  it('never hands out an id again, and lists the jobs of earlier processes', async () => {
    const dir = jobsDir();
    const first = manager(dir);
    const a = first.start(instant);
    const b = first.start(instant);
    expect([a.id, b.id]).toEqual(['job-1', 'job-2']);
    await settled(first, b.id);

    const second = manager(dir);
    expect(second.list().map((j) => [j.id, j.state])).toEqual([
      ['job-1', 'done'],
      ['job-2', 'done'],
    ]);
    expect(second.start(instant).id).toBe('job-3');
    expect(() => second.cancel('job-1')).toThrow(new RegExp(`job job-1 is done; it ran in an earlier compute process \\(pid ${process.pid}\\)`));
  });

  it('claims an id that another process took meanwhile only once', () => {
    const dir = jobsDir();
    const store = new JobStore(dir, () => {});
    const make = (id: string): JobRecord => ({ info: { id } as JobInfo, owner: process.pid, request: null });
    const other = new JobStore(dir, () => {});
    expect([store.create(make).info.id, other.create(make).info.id, store.create(make).info.id]).toEqual(['job-1', 'job-2', 'job-3']);
    expect(readdirSync(dir).sort()).toEqual(['job-1.json', 'job-2.json', 'job-3.json']);
  });

  it('reports the unfinished jobs of a dead process as failed with the reason, resumable where the work can continue', async () => {
    const dir = jobsDir();
    const crashed = manager(dir);
    const train = crashed.start({ ...never, request: { method: 'training.start', params: { family: 'fam' } } });
    const harvest = crashed.start({ ...instant, kind: 'harvest', run: () => new Promise(() => {}) });
    await new Promise((resolve) => setImmediate(resolve));
    // What a kill -9 leaves: the records as last written, owned by a pid that no longer runs.
    const owner = deadPid();
    for (const id of [train.id, harvest.id]) {
      const file = path.join(dir, `${id}.json`);
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), owner }));
    }

    const events: ApiEvent[] = [];
    const restarted = manager(dir, events);
    const asked: string[] = [];
    const recovered = await restarted.recoverInterrupted(async (record) => (asked.push(record.info.id), record.request?.method === 'training.start'));
    expect(asked).toEqual([train.id, harvest.id]);
    expect(recovered.map((j) => [j.id, j.state, j.resumable, j.error?.message])).toEqual([
      [train.id, 'failed', true, `interrupted: the compute process (pid ${owner}) stopped while job ${train.id} was running; jobs.resume continues it from its checkpoint`],
      [harvest.id, 'failed', false, `interrupted: the compute process (pid ${owner}) stopped while job ${harvest.id} was queued; start it again`],
    ]);
    expect(events.map((e) => (e.type === 'job.state' ? [e.job.id, e.job.state] : e.type))).toEqual([
      [train.id, 'failed'],
      [harvest.id, 'failed'],
    ]);
    expect(restarted.resumableRecord(train.id)!.request).toEqual({ method: 'training.start', params: { family: 'fam' } });
    restarted.markContinued(train.id, 'job-3');
    expect(restarted.resumableRecord(train.id)).toBeNull();

    // Persisted: a third process sees the outcome and recovers nothing again.
    const third = manager(dir);
    expect(third.get(train.id)).toMatchObject({ state: 'failed', resumable: false });
    expect(await third.recoverInterrupted(async () => true)).toEqual([]);
  });

  it('leaves the jobs of a live process alone', async () => {
    const dir = jobsDir();
    const running = manager(dir);
    running.start(never);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await manager(dir).recoverInterrupted(async () => true)).toEqual([]);
  });

  it('shutdown waits for the running job to stop, and leaves its record unfinished for the next start to report', async () => {
    const dir = jobsDir();
    const jobs = manager(dir);
    let stoppedCleanly = false;
    const { id } = jobs.start({
      kind: 'train',
      title: 'stops over a few turns of the event loop, as the trainer does while it writes its checkpoint',
      pausable: false,
      run: async (ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
        stoppedCleanly = true;
        throw ctx.signal.reason;
      },
    });
    await new Promise((resolve) => setImmediate(resolve));
    await jobs.shutdown();
    expect(stoppedCleanly).toBe(true);
    expect((JSON.parse(readFileSync(path.join(dir, `${id}.json`), 'utf8')) as JobRecord).info.state).toBe('running');
  });

  it('skips an unreadable record with a warning naming it, and never reuses its id', () => {
    const dir = jobsDir();
    writeFileSync(path.join(dir, 'job-7.json'), '{ truncated');
    const warnings: string[] = [];
    const jobs = manager(dir, [], warnings);
    expect(jobs.list()).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^skipped job record ${path.join(dir, 'job-7.json')}: `))]);
    expect(jobs.start(instant).id).toBe('job-8');
  });
});
