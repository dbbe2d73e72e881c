// lm.train: validates a pretraining request against the workspace, then runs the LM trainer
// (src-main/lm) as a pausable job writing models/<name>/. Like training.start, the trainer stops only
// by saving a checkpoint, so pausing stops it that way and resuming continues exactly from there.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { JobResult, LmTrainParams } from '../../../src-shared/api.js';
import type { LmTrainEvent } from '../../lm/events.js';
import type { DomainHandlers, HandlerContext } from '../handler.js';
import type { JobRecord } from '../job-store.js';
import type { JobContext, ProgressReport } from '../manager.js';
import type { WorkspaceLayout } from '../workspace/layout.js';
import { ENTRY_NAME, readParams } from '../params.js';
import { corpusSpec } from './datasets.js';
import { requireModel } from './lookup.js';

const METHOD = 'lm.train';

function readLmTrainParams(params: unknown): LmTrainParams {
  return readParams<LmTrainParams>(METHOD, params, {
    name: { type: 'string', ...ENTRY_NAME },
    dataset: { type: 'string', maxLength: 200 },
    from: { type: 'string', optional: true, ...ENTRY_NAME },
    layers: { type: 'integer', optional: true, min: 1, max: 48 },
    dModel: { type: 'integer', optional: true, min: 1, max: 4096 },
    heads: { type: 'integer', optional: true, min: 1, max: 64 },
    ctx: { type: 'integer', optional: true, min: 2, max: 4096 },
    tokens: { type: 'integer', min: 1 },
    batch: { type: 'integer', optional: true, min: 1 },
    lr: { type: 'number', optional: true, min: 0 },
    seed: { type: 'integer', optional: true, min: 0 },
    evalEvery: { type: 'integer', optional: true, min: 0 },
    resume: { type: 'boolean', optional: true },
    threads: { type: 'integer', optional: true, min: 1, max: 64 },
  });
}

/**
 * Trainer events as job progress: tokens overall, the training loss as series "train" and the latest
 * held-out loss as series "held_out", so the app draws both curves from the progress stream. An
 * evaluation re-sends the latest report with it (the last one comes after the last step's report).
 */
function reporter(job: JobContext): (event: LmTrainEvent) => void {
  let heldOut: Record<string, number> | undefined;
  let last: ProgressReport | undefined;
  const send = (report: ProgressReport): void => {
    last = report;
    job.progress({ ...report, series: { ...report.series, ...(heldOut ? { held_out: heldOut } : {}) } });
  };
  return (event) => {
    if (event.type === 'progress') {
      send({
        done: event.tokens,
        total: event.totalTokens,
        unit: 'tokens',
        phase: 'training',
        metrics: { step: event.step, total_steps: event.totalSteps, tokens_per_s: event.tokensPerSecond, loss: event.loss, lr: event.lr, grad_norm: event.gradNorm },
        series: { train: { loss: event.loss } },
      });
    } else if (event.type === 'eval') {
      heldOut = { loss: event.heldOutLoss, unigram_loss: event.unigramLoss };
      if (last) send(last);
      job.log('info', `held-out loss ${event.heldOutLoss.toFixed(4)} at step ${event.step} (unigram ${event.unigramLoss.toFixed(4)})`);
    } else if (event.type === 'log') job.log(event.level, event.message);
    else if (event.type === 'checkpoint') job.log('info', `checkpoint at step ${event.step}`);
    else if (event.type === 'snapshot') job.log('info', `snapshot at step ${event.step} in ${event.dir}`);
  };
}

async function runLmTraining(config: Record<string, unknown>, out: string, job: JobContext, ctx: HandlerContext): Promise<JobResult> {
  await ctx.engine.start();
  const { trainLm, LM_CHECKPOINT_FILE } = await import('../../lm/trainer.js');
  const report = reporter(job);
  let resume = config.resume === true;
  for (;;) {
    const stop = job.interruption();
    try {
      let outcome: Awaited<ReturnType<typeof trainLm>> | null = null;
      try {
        outcome = await trainLm({ ...config, resume }, { signal: stop.signal, onEvent: report });
      } catch (err) {
        // Before its first step (reading the corpus) the trainer stops by throwing the abort reason.
        if (!stop.signal.aborted) throw err;
      }
      if (outcome?.status === 'finished') {
        const r = outcome.result!;
        return {
          wrote: [`model:${path.basename(out)}`],
          summary: { steps: r.steps, tokens: r.tokens, train_loss: r.trainLoss, held_out_loss: r.heldOutLoss, unigram_loss: r.unigramLoss, tokens_per_s: r.tokensPerS, parameters: r.parameters },
        };
      }
      job.log('info', outcome ? `training stopped at step ${outcome.step}` : 'training stopped before its first step');
    } finally {
      stop.close();
    }
    // Stopped on pause or cancel: wait while paused (throws if cancelled), then resume from the
    // checkpoint it saved (none yet when it stopped before its first step).
    await job.checkpoint();
    resume = existsSync(path.join(out, LM_CHECKPOINT_FILE));
  }
}

/** After a crash: whether an interrupted lm.train can continue, which it can where its checkpoint survived. */
export async function recoverLmJob(record: JobRecord, workspace: WorkspaceLayout): Promise<boolean> {
  if (record.request?.method !== METHOD) return false;
  const { LM_CHECKPOINT_FILE } = await import('../../lm/trainer.js');
  return existsSync(path.join(workspace.model((record.request.params as LmTrainParams).name), LM_CHECKPOINT_FILE));
}

export const lmHandlers: DomainHandlers<'lm'> = {
  'lm.train': async (params, ctx) => {
    const p = readLmTrainParams(params);
    const { workspace } = ctx;
    const dataset = corpusSpec(workspace, METHOD, p.dataset);
    const from = p.from === undefined ? undefined : requireModel(workspace, METHOD, p.from);
    const out = workspace.model(p.name);
    if (!p.resume && existsSync(out)) {
      throw new ApiError('conflict', `${METHOD}: model "${p.name}" already exists in ${workspace.dir('models')}; pick another name or set resume`);
    }
    const config: Record<string, unknown> = {
      dataset, out, from, layers: p.layers, dModel: p.dModel, heads: p.heads, ctx: p.ctx, tokens: p.tokens, batch: p.batch, lr: p.lr, seed: p.seed, evalEvery: p.evalEvery, resume: p.resume, threads: p.threads,
    };
    const { validateLmTrainConfig, totalSteps } = await import('../../lm/config.js');
    let steps: number;
    try {
      steps = totalSteps(validateLmTrainConfig(config));
    } catch (err) {
      throw new ApiError('bad_request', `${METHOD}: ${(err as Error).message}`);
    }
    const shape = from ? `continuing ${p.from}` : `${p.layers ?? 4} layers, d ${p.dModel ?? 128}`;
    const job = ctx.jobs.start({
      kind: 'lm-train',
      title: `train language model ${p.name} (${shape}, ${steps} steps) on ${p.dataset}`,
      pausable: true,
      request: { method: METHOD, params: p },
      run: (jobContext) => runLmTraining(config, out, jobContext, ctx),
    });
    return { jobId: job.id };
  },
};
