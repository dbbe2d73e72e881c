// Job control requests: list, pause, resume, cancel. Starting a job belongs to its domain
// (training.start, harvest.start, workspace.pullModel); so does continuing one that a crash
// interrupted, which resume hands to that domain's start with `resume` set.
import type { JobIdParams, LmTrainParams, TrainParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { readParams } from '../params.js';
import { lmHandlers } from './lm.js';
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
    // Only the trainers are ever resumable (see RECOVERY in the dispatcher); each continues from its checkpoint.
    const { method, params: request } = interrupted.request!;
    const { jobId: continuation } = method === 'lm.train'
      ? await lmHandlers['lm.train']({ ...(request as LmTrainParams), resume: true }, ctx)
      : await trainingHandlers['training.start']({ ...(request as TrainParams), resume: true }, ctx);
    ctx.jobs.markContinued(jobId, continuation);
    return ctx.jobs.get(continuation);
  },
  'jobs.cancel': (params, { jobs }) => jobs.cancel(readParams<JobIdParams>('jobs.cancel', params, JOB_ID).jobId),
};
