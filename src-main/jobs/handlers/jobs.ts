// Job control requests: list, pause, resume, cancel. Starting a job belongs to its domain
// (training.start, harvest.start, workspace.pullModel); so does continuing one that a crash
// interrupted, which resume hands to that domain's start with `resume` set.
import type { JobIdParams, TrainParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { readParams } from '../params.js';
import { trainingHandlers } from './training.js';

const JOB_ID = { jobId: { type: 'string', pattern: /^job-\d+$/, patternHint: 'a job id like "job-3"' } } as const;

export const jobHandlers: DomainHandlers<'jobs'> = {
  'jobs.list': (params, { jobs }) => {
    readParams<Record<string, never>>('jobs.list', params, {});
    return jobs.list();
  },
  'jobs.pause': (params, { jobs }) => jobs.pause(readParams<JobIdParams>('jobs.pause', params, JOB_ID).jobId),
  'jobs.resume': async (params, ctx) => {
    const { jobId } = readParams<JobIdParams>('jobs.resume', params, JOB_ID);
    const interrupted = ctx.jobs.resumableRecord(jobId);
    if (!interrupted) return ctx.jobs.resume(jobId);
    // Only training is ever resumable (see recoverTrainingJob), and it continues from its checkpoint.
    const { jobId: continuation } = await trainingHandlers['training.start']({ ...(interrupted.request!.params as TrainParams), resume: true }, ctx);
    ctx.jobs.markContinued(jobId, continuation);
    return ctx.jobs.get(continuation);
  },
  'jobs.cancel': (params, { jobs }) => jobs.cancel(readParams<JobIdParams>('jobs.cancel', params, JOB_ID).jobId),
};
