// Jobs store: every job the compute process knows, kept current by its events, plus each training
// job's metric history for the live charts. Starting a job (training, harvest) goes through here.
import { FINISHED_JOB_STATES } from '../../../src-shared/api.js';
import type { ApiErrorInfo, ApiEvent, HarvestParams, JobInfo, LmEvaluateParams, LmExportParams, LmTrainParams, SaeEvaluateParams, TrainParams } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { appendProgress, emptyHistory, type TrainingHistory } from '../lib/training-series.js';
import { errorInfo } from './errors.js';

export interface JobLogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
}

const MAX_LOG_LINES = 200;

class JobsStore {
  jobs = $state<JobInfo[]>([]);
  /** Last failure of a request made through this store (start, pause, cancel). */
  error = $state<ApiErrorInfo | null>(null);
  /** Bumped on every progress event, so charts know to redraw; histories stay plain arrays. */
  tick = $state(0);
  logs = $state<Record<string, JobLogLine[]>>({});
  private readonly histories = new Map<string, TrainingHistory>();
  /** What each training job started from this window was asked to do (JobInfo carries no params). */
  private readonly trainParams = new Map<string, TrainParams>();
  private readonly harvestParams = new Map<string, HarvestParams>();
  private readonly finishedListeners = new Set<(job: JobInfo) => void>();

  job(id: string | null | undefined): JobInfo | undefined {
    return id ? this.jobs.find((j) => j.id === id) : undefined;
  }

  history(jobId: string): TrainingHistory {
    let history = this.histories.get(jobId);
    if (!history) this.histories.set(jobId, (history = emptyHistory()));
    return history;
  }

  isFinished(job: JobInfo): boolean {
    return FINISHED_JOB_STATES.includes(job.state);
  }

  /** Called once per job when it reaches done, failed or cancelled. */
  onFinished(listener: (job: JobInfo) => void): () => void {
    this.finishedListeners.add(listener);
    return () => this.finishedListeners.delete(listener);
  }

  private apply(event: ApiEvent): void {
    if (event.type === 'job.state') {
      const index = this.jobs.findIndex((job) => job.id === event.job.id);
      const wasFinished = index >= 0 && this.isFinished(this.jobs[index]!);
      if (event.job.progress) appendProgress(this.history(event.job.id), event.job.progress);
      if (index >= 0) this.jobs[index] = event.job;
      else this.jobs.push(event.job);
      if (!wasFinished && this.isFinished(event.job)) for (const listener of this.finishedListeners) listener(event.job);
    } else if (event.type === 'job.progress') {
      const job = this.jobs.find((candidate) => candidate.id === event.jobId);
      if (job) job.progress = event.progress;
      appendProgress(this.history(event.jobId), event.progress);
      this.tick++;
    } else if (event.type === 'job.log') {
      const lines = (this.logs[event.jobId] ??= []);
      lines.push({ level: event.level, message: event.message });
      if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
    }
  }

  /** Loads the current jobs and follows events; returns the unsubscribe function. */
  async start(): Promise<() => void> {
    const unsubscribe = api.onEvent((event) => this.apply(event));
    try {
      const listed = await api.jobs.list();
      for (const job of listed) {
        if (!this.jobs.some((j) => j.id === job.id)) this.jobs.push(job);
        if (job.progress) appendProgress(this.history(job.id), job.progress);
      }
    } catch (err) {
      this.error = errorInfo(err);
    }
    return unsubscribe;
  }

  async startTraining(params: TrainParams): Promise<string | null> {
    return this.request(async () => {
      const { jobId } = await api.training.start(params);
      this.trainParams.set(jobId, params);
      return jobId;
    });
  }

  /** The family a finished training job wrote: its params when started here, else its "sae:<family>/<size>" results. */
  trainedFamily(job: JobInfo): { family: string; model?: string; dataset?: string } | null {
    const params = this.trainParams.get(job.id);
    if (params) return { family: params.family, model: params.model, dataset: params.dataset };
    const wrote = job.result?.wrote.find((entry) => entry.startsWith('sae:'));
    return wrote ? { family: wrote.slice('sae:'.length).split('/')[0]! } : null;
  }

  async startLmTraining(params: LmTrainParams): Promise<string | null> {
    return this.request(async () => (await api.lm.train(params)).jobId);
  }

  async startLmEvaluation(params: LmEvaluateParams): Promise<string | null> {
    return this.request(async () => (await api.lm.evaluate(params)).jobId);
  }

  async startLmExport(params: LmExportParams): Promise<string | null> {
    return this.request(async () => (await api.lm.export(params)).jobId);
  }

  async startEvaluation(params: SaeEvaluateParams): Promise<string | null> {
    return this.request(async () => (await api.saes.evaluate(params)).jobId);
  }

  async startHarvest(params: HarvestParams): Promise<string | null> {
    return this.request(async () => {
      const { jobId } = await api.harvest.start(params);
      this.harvestParams.set(jobId, params);
      return jobId;
    });
  }

  /** What a harvest job started from this window harvested; null for others (JobInfo carries no params). */
  harvestOf(job: JobInfo): HarvestParams | null {
    return this.harvestParams.get(job.id) ?? null;
  }

  async pause(jobId: string): Promise<void> {
    await this.control(jobId, () => api.jobs.pause({ jobId }));
  }

  async resume(jobId: string): Promise<void> {
    await this.control(jobId, () => api.jobs.resume({ jobId }));
  }

  async cancel(jobId: string): Promise<void> {
    await this.control(jobId, () => api.jobs.cancel({ jobId }));
  }

  private async control(jobId: string, action: () => Promise<JobInfo>): Promise<void> {
    await this.request(async () => {
      const info = await action();
      const index = this.jobs.findIndex((j) => j.id === jobId);
      if (index >= 0 && !this.isFinished(this.jobs[index]!)) this.jobs[index] = info;
      return jobId;
    });
  }

  private async request(action: () => Promise<string>): Promise<string | null> {
    try {
      const id = await action();
      this.error = null;
      return id;
    } catch (err) {
      this.error = errorInfo(err);
      return null;
    }
  }
}

export const jobs = new JobsStore();
