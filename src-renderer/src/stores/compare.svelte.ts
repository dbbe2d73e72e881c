// Compare store: the stored comparisons of two SAEs, the one being viewed, and starting a new one
// (a job, followed through the jobs store; when it is done its result is fetched and shown).
import type { ApiErrorInfo, CompareParams, ComparisonSummary, SaeComparison } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { errorInfo } from './errors.js';
import { RequestState } from './request.svelte.js';

class CompareStore {
  readonly list = new RequestState<Record<string, never>, ComparisonSummary[]>(() => api.compare.list());
  readonly current = new RequestState<{ id: string }, SaeComparison>((params) => api.compare.get(params));
  /** The comparison job started from this window, until it finishes. */
  jobId = $state<string | null>(null);
  startError = $state<ApiErrorInfo | null>(null);

  async refresh(): Promise<void> {
    await this.list.run({});
  }

  async open(id: string): Promise<void> {
    if (this.current.params?.id === id && this.current.result) return;
    await this.current.run({ id });
  }

  async start(params: CompareParams): Promise<string | null> {
    try {
      const { jobId } = await api.compare.start(params);
      this.jobId = jobId;
      this.startError = null;
      return jobId;
    } catch (err) {
      this.startError = errorInfo(err);
      return null;
    }
  }
}

export const compare = new CompareStore();
