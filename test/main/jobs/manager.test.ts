import { describe, expect, it } from 'vitest';
import type { ApiEvent, JobInfo } from '../../../src-shared/api.js';
import { JobManager, type JobContext } from '../../../src-main/jobs/manager.js';

function setup(startMs = 0) {
  const events: ApiEvent[] = [];
  let now = startMs;
  const manager = new JobManager((event) => events.push(event), () => now);
  const states = (jobId: string) => events.flatMap((e) => (e.type === 'job.state' && e.job.id === jobId ? [e.job.state] : []));
  return { manager, events, states, advance: (ms: number) => (now += ms) };
}

/** A job that runs until `release` is called, exposing its context once started. */
function controllable() {
  let release!: () => void;
  let markStarted!: () => void;
  let ctx: JobContext | null = null;
  const released = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const run = async (context: JobContext) => {
    ctx = context;
    markStarted();
    await released;
    await context.checkpoint();
    return { wrote: ['sae:fam/64'], summary: { steps: 3 } };
  };
  return { run, release, started, context: () => ctx! };
}

async function settle(manager: JobManager, jobId: string): Promise<JobInfo> {
  for (let i = 0; i < 100; i++) {
    const info = manager.get(jobId);
    if (['done', 'failed', 'cancelled'].includes(info.state)) return info;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`job ${jobId} did not finish`);
}

describe('JobManager', () => {
  it("gives an interruption signal aborted by a cancel that came before it, by a pause, and detached on close", async () => {
    const { manager } = setup();
    const job = controllable();
    const { id } = manager.start({ kind: 'train', title: 't', pausable: true, run: job.run });
    await job.started;
    const early = job.context().interruption();
    manager.pause(id);
    expect(early.signal.aborted).toBe(true);
    expect((early.signal.reason as Error).message).toBe('paused');
    early.close();
    // Asked for while paused: aborted at once.
    expect(job.context().interruption().signal.aborted).toBe(true);
    manager.cancel(id);
    // Asked for after the cancel (a trainer that was still loading): aborted with the cancel's reason.
    const late = job.context().interruption();
    expect(late.signal.aborted).toBe(true);
    expect((late.signal.reason as Error).message).toContain('was cancelled');
    job.release();
    expect((await settle(manager, id)).state).toBe('cancelled');
  });

  it('runs a job to done and emits queued, running, done with the result', async () => {
    const { manager, states } = setup();
    const job = manager.start({ kind: 'train', title: 't', pausable: false, run: async () => ({ wrote: ['x'], summary: { n: 1 } }) });
    const info = await settle(manager, job.id);
    expect(info.state).toBe('done');
    expect(info.result).toEqual({ wrote: ['x'], summary: { n: 1 } });
    expect(states(job.id)).toEqual(['queued', 'running', 'done']);
  });

  it('adds rate and ETA to progress from the time between reports', async () => {
    const { manager, events, advance } = setup(1000);
    const job = controllable();
    const { id } = manager.start({ kind: 'train', title: 't', pausable: true, run: job.run });
    await job.started;
    job.context().progress({ done: 100, total: 1100, unit: 'tokens', phase: 'training' });
    advance(2000);
    job.context().progress({ done: 300, total: 1100, unit: 'tokens', phase: 'training', series: { '64': { loss: 0.5 } } });
    const progress = events.flatMap((e) => (e.type === 'job.progress' ? [e.progress] : []));
    expect(progress[0]).toMatchObject({ done: 100, rate: null, etaSeconds: null, metrics: {}, series: {} });
    expect(progress[1]).toMatchObject({ done: 300, rate: 100, etaSeconds: 8, series: { '64': { loss: 0.5 } } });
    job.release();
    expect((await settle(manager, id)).progress?.done).toBe(300);
  });

  it('pauses at the next checkpoint and resumes', async () => {
    const { manager, states } = setup();
    const job = controllable();
    const { id } = manager.start({ kind: 'train', title: 't', pausable: true, run: job.run });
    await job.started;
    manager.pause(id);
    job.release();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(manager.get(id).state).toBe('paused');
    manager.resume(id);
    expect((await settle(manager, id)).state).toBe('done');
    expect(states(id)).toEqual(['queued', 'running', 'paused', 'running', 'done']);
  });

  it('cancels a running job through its signal, and a paused one too', async () => {
    const { manager } = setup();
    const job = controllable();
    const { id } = manager.start({ kind: 'train', title: 't', pausable: true, run: job.run });
    await job.started;
    manager.pause(id);
    manager.cancel(id);
    expect(job.context().signal.aborted).toBe(true);
    job.release();
    const info = await settle(manager, id);
    expect(info.state).toBe('cancelled');
    expect(info.error).toEqual({ code: 'cancelled', message: `job ${id} was cancelled` });
  });

  it('runs jobs one at a time, in order, and cancels a queued one without running it', async () => {
    const { manager } = setup();
    const first = controllable();
    let thirdRan = false;
    const a = manager.start({ kind: 'train', title: 'a', pausable: true, run: first.run });
    const b = manager.start({ kind: 'harvest', title: 'b', pausable: false, run: async () => ({ wrote: [], summary: {} }) });
    const c = manager.start({ kind: 'harvest', title: 'c', pausable: false, run: async () => ((thirdRan = true), { wrote: [], summary: {} }) });
    await first.started;
    expect(manager.get(b.id).state).toBe('queued');
    manager.cancel(c.id);
    first.release();
    expect((await settle(manager, b.id)).state).toBe('done');
    expect(manager.get(a.id).state).toBe('done');
    expect(manager.get(c.id).state).toBe('cancelled');
    expect(thirdRan).toBe(false);
  });

  it('records a failure with its message and refuses invalid transitions', async () => {
    const { manager } = setup();
    const { id } = manager.start({ kind: 'train', title: 't', pausable: false, run: async () => Promise.reject(new Error('NaN in loss at step 7')) });
    const info = await settle(manager, id);
    expect(info.state).toBe('failed');
    expect(info.error).toEqual({ code: 'internal', message: 'NaN in loss at step 7' });
    expect(() => manager.cancel(id)).toThrow(/already failed/);
    expect(() => manager.resume(id)).toThrow(/only a paused job can be resumed/);
    expect(() => manager.get('job-99')).toThrow(/no job "job-99"/);
    const other = manager.start({ kind: 'harvest', title: 'h', pausable: false, run: () => new Promise(() => {}) });
    expect(() => manager.pause(other.id)).toThrow(/cannot be paused/);
  });
});
