// Jobs store: every job the compute process knows, kept current by its events.
import type { ApiEvent, JobInfo } from '../../../../src-shared/api.js';
import { api } from '../transport/index.js';

class JobsStore {
  jobs = $state<JobInfo[]>([]);

  private apply(event: ApiEvent): void {
    if (event.type === 'job.state') {
      const index = this.jobs.findIndex((job) => job.id === event.job.id);
      if (index >= 0) this.jobs[index] = event.job;
      else this.jobs.push(event.job);
    } else if (event.type === 'job.progress') {
      const job = this.jobs.find((candidate) => candidate.id === event.jobId);
      if (job) job.progress = event.progress;
    }
  }

  /** Loads the current jobs and follows events; returns the unsubscribe function. */
  async start(): Promise<() => void> {
    const unsubscribe = api.onEvent((event) => this.apply(event));
    this.jobs = await api.jobs.list();
    return unsubscribe;
  }
}

export const jobs = new JobsStore();
