// Job control requests: list, pause, resume, cancel. Starting a job belongs to its domain
// (training.start, harvest.start, workspace.pullModel).
import type { JobIdParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { readParams } from '../params.js';

const JOB_ID = { jobId: { type: 'string', pattern: /^job-\d+$/, patternHint: 'a job id like "job-3"' } } as const;

export const jobHandlers: DomainHandlers<'jobs'> = {
  'jobs.list': (params, { jobs }) => {
    readParams<Record<string, never>>('jobs.list', params, {});
    return jobs.list();
  },
  'jobs.pause': (params, { jobs }) => jobs.pause(readParams<JobIdParams>('jobs.pause', params, JOB_ID).jobId),
  'jobs.resume': (params, { jobs }) => jobs.resume(readParams<JobIdParams>('jobs.resume', params, JOB_ID).jobId),
  'jobs.cancel': (params, { jobs }) => jobs.cancel(readParams<JobIdParams>('jobs.cancel', params, JOB_ID).jobId),
};
