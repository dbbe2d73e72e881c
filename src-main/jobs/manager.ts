// Runs long jobs one at a time in the compute process (they share its CPU and tensor engine), tracks
// their state, turns raw progress into rate + ETA, and emits every change as a JobEvent. With a
// JobStore, every state change is also written to the workspace, and the jobs of earlier compute
// processes are listed too: those left unfinished by a process that is gone are interrupted.
import { ApiError, FINISHED_JOB_STATES, toErrorInfo } from '../../src-shared/api.js';
import type { ApiEvent, JobInfo, JobKind, JobProgress, JobResult } from '../../src-shared/api.js';
import { isAlive, type JobRecord, type JobRequest, type JobStore } from './job-store.js';

/** What a job reports; the manager adds rate and ETA. */
export type ProgressReport = Omit<JobProgress, 'rate' | 'etaSeconds' | 'metrics' | 'series'> &
  Partial<Pick<JobProgress, 'metrics' | 'series'>>;

export interface JobContext {
  /** Aborted when the user cancels; pass it to every backend call that accepts one. */
  signal: AbortSignal;
  progress(report: ProgressReport): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Call between steps: returns at once while running, waits while paused, throws once cancelled. */
  checkpoint(): Promise<void>;
  /**
   * A signal for work that cannot stop at `checkpoint()` between its own steps (the trainer stops by
   * saving a checkpoint and is resumed from it): aborted when the user cancels, also when that
   * happened before this call (while a model was loading), with the cancel's reason, and when the
   * user pauses, with Error('paused'), at once when the job is already paused. `close()` detaches it.
   */
  interruption(): { signal: AbortSignal; close(): void };
}

export interface JobSpec {
  kind: JobKind;
  title: string;
  /** Whether `checkpoint()` is called between steps, so pausing can take effect. */
  pausable: boolean;
  /** The request that started the job, recorded so that work interrupted by a crash can be continued. */
  request?: JobRequest;
  run(ctx: JobContext): Promise<JobResult>;
}

interface Job {
  info: JobInfo;
  spec: JobSpec;
  record: JobRecord;
  abort: AbortController;
  resumeWaiters: Array<() => void>;
  pauseListeners: Set<() => void>;
  /** First progress report (time, done), the base of the rate. */
  rateBase: { at: number; done: number } | null;
}

/** How long shutdown waits for the running job to stop; the owner kills the process a little later. */
const SHUTDOWN_WAIT_MS = 10_000;

export class JobManager {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private running: Job | null = null;
  /** The running job's execution, settled once it has stopped and its state is final. */
  private execution: Promise<void> | null = null;
  private nextId = 1;
  /** Jobs of earlier compute processes, by id; they can be listed, and continued when resumable. */
  private readonly past = new Map<string, JobRecord>();
  /** Set by shutdown: the records of jobs it stops stay unfinished, so the next start reports them interrupted. */
  private closing = false;

  constructor(
    private readonly emit: (event: ApiEvent) => void,
    private readonly now: () => number = Date.now,
    private readonly store: JobStore | null = null,
  ) {
    for (const record of store?.load() ?? []) this.past.set(record.info.id, record);
  }

  start(spec: JobSpec): JobInfo {
    const info = (id: string): JobInfo => ({
      id, kind: spec.kind, title: spec.title, state: 'queued', createdAt: new Date(this.now()).toISOString(), finishedAt: null, progress: null, error: null, result: null, resumable: false,
    });
    const record = this.store
      ? this.store.create((id) => ({ info: info(id), owner: process.pid, request: spec.request ?? null }))
      : { info: info(`job-${this.nextId++}`), owner: process.pid, request: spec.request ?? null };
    const { id } = record.info;
    const job: Job = {
      info: record.info,
      record,
      spec,
      abort: new AbortController(),
      resumeWaiters: [],
      pauseListeners: new Set(),
      rateBase: null,
    };
    this.jobs.set(id, job);
    this.queue.push(job);
    this.emitState(job);
    queueMicrotask(() => this.runNext());
    return { ...job.info };
  }

  list(): JobInfo[] {
    return [...this.past.values(), ...this.jobs.values()].map((job) => ({ ...job.info }));
  }

  get(jobId: string): JobInfo {
    const past = this.past.get(jobId);
    return { ...(past ?? this.find(jobId)).info };
  }

  /**
   * Marks every job an earlier compute process left unfinished, and whose process is gone, as failed
   * with the reason, resumable where `canContinue` says its work can continue, and emits its final
   * state. Call once listeners are subscribed, so the UI hears that those jobs ended.
   */
  async recoverInterrupted(canContinue: (record: JobRecord) => Promise<boolean>): Promise<JobInfo[]> {
    const recovered: JobInfo[] = [];
    for (const record of this.past.values()) {
      const { info } = record;
      if (FINISHED_JOB_STATES.includes(info.state) || isAlive(record.owner)) continue;
      info.resumable = await canContinue(record);
      const next = info.resumable ? 'jobs.resume continues it from its checkpoint' : 'start it again';
      info.error = { code: 'internal', message: `interrupted: the compute process (pid ${record.owner}) stopped while job ${info.id} was ${info.state}; ${next}` };
      info.state = 'failed';
      info.finishedAt = new Date(this.now()).toISOString();
      this.store?.save(record);
      this.emit({ type: 'job.state', job: { ...info } });
      recovered.push({ ...info });
    }
    return recovered;
  }

  /** The record of an interrupted job whose work can continue, else null. */
  resumableRecord(jobId: string): JobRecord | null {
    const record = this.past.get(jobId);
    return record?.info.resumable ? record : null;
  }

  /** Notes that an interrupted job was continued by job `by`, so it cannot be continued twice. */
  markContinued(jobId: string, by: string): void {
    const record = this.past.get(jobId);
    if (!record) return;
    record.info.resumable = false;
    record.info.error = { code: 'internal', message: `${record.info.error?.message ?? 'interrupted'}; continued by ${by}` };
    this.store?.save(record);
    this.emit({ type: 'job.state', job: { ...record.info } });
  }

  pause(jobId: string): JobInfo {
    const job = this.find(jobId);
    if (!job.spec.pausable) throw new ApiError('conflict', `job ${jobId} (${job.info.kind}) cannot be paused; cancel it instead`);
    if (job.info.state !== 'running' && job.info.state !== 'queued') {
      throw new ApiError('conflict', `job ${jobId} is ${job.info.state}; only a running or queued job can be paused`);
    }
    this.setState(job, 'paused');
    for (const listener of job.pauseListeners) listener();
    return this.get(jobId);
  }

  resume(jobId: string): JobInfo {
    const job = this.find(jobId);
    if (job.info.state !== 'paused') throw new ApiError('conflict', `job ${jobId} is ${job.info.state}; only a paused job can be resumed`);
    this.setState(job, job === this.running ? 'running' : 'queued');
    for (const wake of job.resumeWaiters.splice(0)) wake();
    queueMicrotask(() => this.runNext());
    return this.get(jobId);
  }

  cancel(jobId: string): JobInfo {
    const job = this.find(jobId);
    if (FINISHED_JOB_STATES.includes(job.info.state)) {
      throw new ApiError('conflict', `job ${jobId} is already ${job.info.state}`);
    }
    job.abort.abort(new ApiError('cancelled', `job ${jobId} was cancelled`));
    for (const wake of job.resumeWaiters.splice(0)) wake();
    if (job !== this.running) {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.finish(job, 'cancelled');
    }
    return this.get(jobId);
  }

  /**
   * Stops everything and waits for the running job to stop (process shutdown). Their records keep the
   * state they had, so the next compute process reports them as interrupted, resumable where possible,
   * rather than as cancelled by a user.
   */
  async shutdown(): Promise<void> {
    this.closing = true;
    for (const job of [...this.queue]) this.cancel(job.info.id);
    const running = this.running;
    if (!running) return;
    const stopped = this.execution;
    if (!FINISHED_JOB_STATES.includes(running.info.state)) this.cancel(running.info.id);
    // The trainer stops by writing its checkpoint, which is what lets the job resume after the restart.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stopped, new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS)))]);
    clearTimeout(timer);
  }

  private find(jobId: string): Job {
    const job = this.jobs.get(jobId);
    const past = this.past.get(jobId);
    if (!job && past) {
      const where = FINISHED_JOB_STATES.includes(past.info.state) ? `it ran in an earlier compute process (pid ${past.owner})` : `it runs in another compute process (pid ${past.owner})`;
      throw new ApiError('conflict', `job ${jobId} is ${past.info.state}; ${where}`);
    }
    if (!job) throw new ApiError('not_found', `no job "${jobId}"; known jobs: ${[...this.past.keys(), ...this.jobs.keys()].join(', ') || 'none'}`);
    return job;
  }

  private runNext(): void {
    if (this.running) return;
    const job = this.queue.find((candidate) => candidate.info.state === 'queued');
    if (!job) return;
    this.queue.splice(this.queue.indexOf(job), 1);
    this.running = job;
    this.setState(job, 'running');
    this.execution = this.execute(job);
  }

  private async execute(job: Job): Promise<void> {
    try {
      const result = await job.spec.run(this.contextFor(job));
      if (job.abort.signal.aborted) throw job.abort.signal.reason;
      job.info.result = result;
      this.finish(job, 'done');
    } catch (err) {
      if (job.abort.signal.aborted) this.finish(job, 'cancelled');
      else {
        job.info.error = toErrorInfo(err);
        this.finish(job, 'failed');
      }
    } finally {
      this.running = null;
      for (const wake of job.resumeWaiters.splice(0)) wake();
      this.runNext();
    }
  }

  private contextFor(job: Job): JobContext {
    const { signal } = job.abort;
    return {
      signal,
      progress: (report) => this.progress(job, report),
      log: (level, message) => this.emit({ type: 'job.log', jobId: job.info.id, level, message }),
      checkpoint: async () => {
        while (job.info.state === 'paused' && !signal.aborted) {
          await new Promise<void>((resolve) => job.resumeWaiters.push(resolve));
        }
        if (signal.aborted) throw signal.reason;
      },
      interruption: () => {
        const stop = new AbortController();
        const cancel = (): void => stop.abort(signal.reason);
        const pause = (): void => stop.abort(new Error('paused'));
        signal.addEventListener('abort', cancel);
        job.pauseListeners.add(pause);
        if (signal.aborted) cancel();
        else if (job.info.state === 'paused') pause();
        return {
          signal: stop.signal,
          close: () => {
            signal.removeEventListener('abort', cancel);
            job.pauseListeners.delete(pause);
          },
        };
      },
    };
  }

  private progress(job: Job, report: ProgressReport): void {
    const at = this.now();
    if (!job.rateBase || report.done < job.rateBase.done) job.rateBase = { at, done: report.done };
    const seconds = (at - job.rateBase.at) / 1000;
    const rate = seconds > 0 ? (report.done - job.rateBase.done) / seconds : null;
    const etaSeconds = rate && rate > 0 ? Math.max(0, (report.total - report.done) / rate) : null;
    const progress: JobProgress = { metrics: {}, series: {}, ...report, rate, etaSeconds };
    job.info.progress = progress;
    this.emit({ type: 'job.progress', jobId: job.info.id, progress });
  }

  private finish(job: Job, state: 'done' | 'failed' | 'cancelled'): void {
    job.info.finishedAt = new Date(this.now()).toISOString();
    if (state === 'cancelled') job.info.error = { code: 'cancelled', message: `job ${job.info.id} was cancelled` };
    this.setState(job, state);
  }

  private setState(job: Job, state: JobInfo['state']): void {
    job.info.state = state;
    this.emitState(job);
  }

  private emitState(job: Job): void {
    if (this.store && !this.closing) this.store.save(job.record);
    this.emit({ type: 'job.state', job: { ...job.info } });
  }
}
