// What the request tests do with a Dispatcher: call a request and get its result (an error envelope
// throws, naming the request and code), get a refusal as "code: message", and wait for a job to finish.
import type { ApiMethod, JobInfo, ParamsOf, ResultOf } from '../../../src-shared/api.js';
import type { Dispatcher } from '../../../src-main/jobs/dispatcher.js';

export function dispatcherCalls(dispatcher: Dispatcher) {
  async function call<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const response = await dispatcher.call(method, params);
    if (!response.ok) throw new Error(`${method}: ${response.error.code}: ${response.error.message}`);
    return response.result as ResultOf<M>;
  }
  async function answer(method: ApiMethod, params: unknown): Promise<string> {
    const r = await dispatcher.call(method, params);
    return r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`;
  }
  /** Polls jobs.list until the job is done, failed or cancelled. */
  async function finished(jobId: string): Promise<JobInfo> {
    for (;;) {
      const job = (await call('jobs.list', {})).find((j) => j.id === jobId)!;
      if (['done', 'failed', 'cancelled'].includes(job.state)) return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { call, answer, finished };
}
