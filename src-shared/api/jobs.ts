// Jobs domain of the API contract: long-running work in the compute process (training, harvest +
// UMAP, model download) and the typed events it streams while it runs.
import type { ApiErrorInfo } from './errors.js';

export type JobKind = 'train' | 'harvest' | 'pull-model' | 'lm-train' | 'lm-eval' | 'lm-export' | 'sae-eval' | 'sae-release' | 'sae-import' | 'pull-dataset' | 'demo' | 'sae-compare';

/** queued → running ⇄ paused → done | failed | cancelled. */
export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export const FINISHED_JOB_STATES: readonly JobState[] = ['done', 'failed', 'cancelled'];

export interface JobProgress {
  /** Work done so far, in `unit`. */
  done: number;
  /** Work planned in total, in `unit`. */
  total: number;
  /** "tokens", "bytes", "latents", … */
  unit: string;
  /** What the job is doing now ("training", "harvesting", "umap"). */
  phase: string;
  /** Units per second over the recent window, null before the second report. */
  rate: number | null;
  /** Seconds left at the current rate, null when unknown. */
  etaSeconds: number | null;
  /** Scalar metrics of the whole job (e.g. tokens_per_s). */
  metrics: Record<string, number>;
  /** Metrics per member (one per dictionary size in a family), keyed by a label like "4096". */
  series: Record<string, Record<string, number>>;
}

export interface JobInfo {
  id: string;
  kind: JobKind;
  /** One line for humans: "train layer8 family (1024, 4096)". */
  title: string;
  state: JobState;
  /** ISO time the job was created. */
  createdAt: string;
  /** ISO time the job reached a finished state, else null. */
  finishedAt: string | null;
  progress: JobProgress | null;
  error: ApiErrorInfo | null;
  /** What a finished job produced (paths of written SAEs, database ids), else null. */
  result: JobResult | null;
  /**
   * True for a job that failed because the compute process stopped under it and whose work can
   * continue (training, from its checkpoint): `jobs.resume` then starts a new job that continues it
   * and answers with that job. False otherwise, and once continued.
   */
  resumable: boolean;
}

export interface JobResult {
  /** Workspace entries the job wrote, to refresh in the UI ("sae:fam/1024", "db:features.sqlite"). */
  wrote: string[];
  /** Final figures (eval metrics of each size, harvest counts). */
  summary: Record<string, number | string>;
}

export interface JobRef {
  jobId: string;
}

export interface JobIdParams {
  jobId: string;
}

export type JobEvent =
  | { type: 'job.state'; job: JobInfo }
  | { type: 'job.progress'; jobId: string; progress: JobProgress }
  | { type: 'job.log'; jobId: string; level: 'info' | 'warn' | 'error'; message: string };
