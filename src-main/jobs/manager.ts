// Runs long jobs one at a time in the compute process (they share its CPU and tensor engine), tracks
// their state, turns raw progress into rate + ETA, and emits every change as a JobEvent.
import { ApiError, FINISHED_JOB_STATES, toErrorInfo } from '../../src-shared/api.js';
import type { ApiEvent, JobInfo, JobKind, JobProgress, JobResult } from '../../src-shared/api.js';

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
   * Called when the user pauses, for work that cannot stop at `checkpoint()` between its own steps
   * (the trainer stops by saving a checkpoint and is resumed from it). Called at once when the job
   * is already paused. Returns the unsubscribe.
   */
  onPauseRequest(listener: () => void): () => void;
}

export interface JobSpec {
  kind: JobKind;
  title: string;
  /** Whether `checkpoint()` is called between steps, so pausing can take effect. */
  pausable: boolean;
  run(ctx: JobContext): Promise<JobResult>;
}

interface Job {
  info: JobInfo;
  spec: JobSpec;
  abort: AbortController;
  resumeWaiters: Array<() => void>;
  pauseListeners: Set<() => void>;
  /** First progress report (time, done), the base of the rate. */
  rateBase: { at: number; done: number } | null;
}

export class JobManager {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private running: Job | null = null;
  private nextId = 1;

  constructor(
    private readonly emit: (event: ApiEvent) => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(spec: JobSpec): JobInfo {
    const id = `job-${this.nextId++}`;
    const job: Job = {
      info: { id, kind: spec.kind, title: spec.title, state: 'queued', createdAt: new Date(this.now()).toISOString(), finishedAt: null, progress: null, error: null, result: null },
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
    return [...this.jobs.values()].map((job) => ({ ...job.info }));
  }

  get(jobId: string): JobInfo {
    return { ...this.find(jobId).info };
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

  /** Cancels everything and waits for the running job to stop (process shutdown). */
  async shutdown(): Promise<void> {
    for (const job of [...this.queue]) this.cancel(job.info.id);
    const running = this.running;
    if (!running) return;
    const stopped = new Promise<void>((resolve) => running.resumeWaiters.push(resolve));
    if (!FINISHED_JOB_STATES.includes(running.info.state)) this.cancel(running.info.id);
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 2000))]);
  }

  private find(jobId: string): Job {
    const job = this.jobs.get(jobId);
    if (!job) throw new ApiError('not_found', `no job "${jobId}"; known jobs: ${[...this.jobs.keys()].join(', ') || 'none'}`);
    return job;
  }

  private runNext(): void {
    if (this.running) return;
    const job = this.queue.find((candidate) => candidate.info.state === 'queued');
    if (!job) return;
    this.queue.splice(this.queue.indexOf(job), 1);
    this.running = job;
    this.setState(job, 'running');
    void this.execute(job);
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
      onPauseRequest: (listener) => {
        if (job.info.state === 'paused') listener();
        job.pauseListeners.add(listener);
        return () => job.pauseListeners.delete(listener);
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
    this.emit({ type: 'job.state', job: { ...job.info } });
  }
}
