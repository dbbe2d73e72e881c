// lm.train: validates a pretraining request against the workspace, then runs the LM trainer
// (src-main/lm) as a pausable job writing models/<name>/. Like training.start, the trainer stops only
// by saving a checkpoint, so pausing stops it that way and resuming continues exactly from there.
// lm.evaluate, lm.sample, lm.export: the CLI's `lm eval` (as a job, the figures kept with the model),
// `lm sample` (a request, bounded) and `lm export` (a job writing a new model folder) on workspace models;
// lm.curve, the loss curve `lm plot` draws, from the model's run record.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { JobResult, LmCurve, LmCurveParams, LmEvaluateParams, LmExportParams, LmSampleParams, LmSampleResult, LmTrainParams } from '../../../src-shared/api.js';
import type { LmEvalSettings } from '../../lm/eval.js';
import type { LmTrainEvent } from '../../lm/events.js';
import type { DomainHandlers, HandlerContext } from '../handler.js';
import type { JobRecord } from '../job-store.js';
import type { JobContext, ProgressReport } from '../manager.js';
import type { WorkspaceLayout } from '../workspace/layout.js';
import { DATASET_ID, ENTRY_NAME, readParams } from '../params.js';
import { TRAIN_LIMITS } from '../../train/limits.js';
import { corpusSpec, datasetIdOf } from './datasets.js';
import { withLoaded } from './loaded.js';
import { newEntry, requireModel } from './lookup.js';

const METHOD = 'lm.train';

function readLmTrainParams(params: unknown): LmTrainParams {
  return readParams<LmTrainParams>(METHOD, params, {
    name: { type: 'string', ...ENTRY_NAME },
    dataset: { type: 'string', maxLength: 200 },
    from: { type: 'string', optional: true, ...ENTRY_NAME },
    vocabSize: { type: 'integer', optional: true, min: 258, max: 65535 },
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

/** Fits the model's BPE into `out` unless an earlier start of this job already did (the fit is deterministic). */
async function fitTokenizer(config: Record<string, unknown>, out: string, vocabSize: number, job: JobContext): Promise<void> {
  if (existsSync(path.join(out, 'vocab.json'))) return;
  const { validateLmTrainConfig } = await import('../../lm/config.js');
  const { fitLmTokenizer } = await import('../../lm/tokenizer.js');
  const { dataset, textField, holdoutEvery } = validateLmTrainConfig(config);
  job.progress({ done: 0, total: 1, unit: 'tokenizer', phase: 'fitting the tokenizer' });
  const r = await fitLmTokenizer({ dataset, textField, holdoutEvery, vocabSize, out }, job.signal);
  job.log('info', `fitted a byte-level BPE of ${r.vocabSize} tokens on ${r.documents} training documents in ${r.fitSeconds.toFixed(1)} s: ${(r.tokens / r.bytes).toFixed(3)} tokens/byte`);
}

async function runLmTraining(config: Record<string, unknown>, out: string, job: JobContext, ctx: HandlerContext, vocabSize?: number): Promise<JobResult> {
  if (vocabSize !== undefined) await fitTokenizer(config, out, vocabSize, job);
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

const EVALUATE = 'lm.evaluate';

interface LmEvalPlan {
  model: string;
  folder: string;
  dataset: string;
  settings: LmEvalSettings;
}

/**
 * The split and windows to evaluate on, as `lm eval` picks them, with the dataset a workspace entry:
 * the one asked for, else the run record's when it names one of this workspace (a record may name
 * any path; only workspace datasets are read).
 */
async function planLmEvaluation(workspace: WorkspaceLayout, p: LmEvaluateParams): Promise<LmEvalPlan> {
  const folder = requireModel(workspace, EVALUATE, p.model);
  const { readGpt2Config } = await import('../../model/load.js');
  const { resolveEvalSettings } = await import('../../lm/eval.js');
  const settingsWith = (dataset?: string): LmEvalSettings => {
    try {
      const { nPositions } = readGpt2Config(folder);
      if (p.ctx !== undefined && p.ctx > nPositions) throw new Error(`"ctx" must be at most the model's context of ${nPositions} positions, got ${p.ctx}`);
      return resolveEvalSettings(folder, nPositions, { dataset, holdoutEvery: p.holdoutEvery, ctx: p.ctx, tokens: p.tokens });
    } catch (err) {
      throw new ApiError('bad_request', `${EVALUATE}: ${(err as Error).message}`);
    }
  };
  let dataset = p.dataset;
  if (dataset === undefined) {
    const ran = settingsWith().dataset;
    const id = datasetIdOf(workspace, ran);
    if (id === null) throw new ApiError('bad_request', `${EVALUATE}: model "${p.model}" was trained on ${ran}, which is not a dataset of this workspace; choose one in "dataset"`);
    dataset = id;
  }
  return { model: p.model, folder, dataset, settings: settingsWith(corpusSpec(workspace, EVALUATE, dataset)) };
}

async function runLmEvaluation(plan: LmEvalPlan, job: JobContext, ctx: HandlerContext): Promise<JobResult> {
  const { settings } = plan;
  const planned = Math.ceil(settings.evalTokens / settings.ctx) * settings.ctx;
  job.progress({ done: 0, total: planned, unit: 'tokens', phase: 'loading model' });
  const { model, release } = await ctx.resources.acquireModel(plan.folder);
  try {
    const { evaluateLm, readEvalData } = await import('../../lm/eval.js');
    const { LM_EVAL_FILE, writeLmEvalRecord } = await import('../../lm/eval-record.js');
    job.progress({ done: 0, total: planned, unit: 'tokens', phase: `reading ${plan.dataset}` });
    const data = await readEvalData(settings, await ctx.resources.tokenizer(plan.folder), job.signal);
    job.log('info', `${data.heldOut.count * settings.ctx} held-out positions of ${plan.dataset} (every ${settings.holdoutEvery}th document, windows of ${settings.ctx}); baselines from ${data.train.count * settings.ctx} training tokens`);
    job.progress({ done: 0, total: data.heldOut.count * settings.ctx, unit: 'tokens', phase: 'counting the baselines' });
    const r = await evaluateLm(model, plan.folder, settings, data, {
      signal: job.signal,
      onPositions: (done, total) => job.progress({ done, total, unit: 'tokens', phase: 'measuring the model' }),
    });
    writeLmEvalRecord(ctx.workspace.modelRecord(plan.model, LM_EVAL_FILE), r, { model: plan.model, dataset: plan.dataset });
    return {
      wrote: [`model:${plan.model}`],
      summary: { positions: r.positions, model_loss: r.modelLoss, bigram_loss: r.bigramLoss, unigram_loss: r.unigramLoss, model_minus_bigram: r.modelLoss - r.bigramLoss, lambda: r.lambda },
    };
  } finally {
    release();
  }
}

const SAMPLE = 'lm.sample';
/**
 * Prompts × samples × new tokens one request may ask for: it bounds how long a request holds the
 * model with no progress to show (four times steer.generate's most, 2 × 256).
 */
const MAX_SAMPLE_TOKENS = 1024;

async function sample(p: LmSampleParams, ctx: HandlerContext): Promise<LmSampleResult> {
  const options = { maxNewTokens: p.maxTokens ?? 40, temperature: p.temperature ?? 0, topK: p.topK, seed: p.seed ?? 0, samples: p.samples ?? 1, bos: p.bos ?? true };
  if (options.temperature === 0 && options.samples > 1) throw new ApiError('bad_request', `${SAMPLE}: "samples" = ${options.samples} needs "temperature" above 0: greedy decoding gives the same text every time`);
  const asked = p.prompts.length * options.samples * options.maxNewTokens;
  if (asked > MAX_SAMPLE_TOKENS) {
    throw new ApiError('bad_request', `${SAMPLE}: ${p.prompts.length} prompts × ${options.samples} samples × ${options.maxNewTokens} tokens = ${asked} new tokens, more than ${MAX_SAMPLE_TOKENS}; ask for fewer`);
  }
  return withLoaded(ctx, SAMPLE, p.model, [], async ({ model, tokenizer }) => {
    const { sampleContinuations } = await import('../../lm/sample.js');
    const continuations: LmSampleResult['continuations'] = [];
    for await (const { prompt, seed, ids, text } of sampleContinuations(model, tokenizer, p.prompts, options)) continuations.push({ prompt, seed, text, ids });
    return { continuations };
  });
}

const EXPORT = 'lm.export';

const CURVE = 'lm.curve';

/** The run record's loss curve, with the bigram of the model's stored evaluation when there is one. */
async function curve(p: LmCurveParams, ctx: HandlerContext): Promise<LmCurve> {
  const folder = requireModel(ctx.workspace, CURVE, p.model);
  const { LM_TRAINING_FILE } = await import('../../lm/trainer.js');
  const file = path.join(folder, LM_TRAINING_FILE);
  if (!existsSync(file)) throw new ApiError('not_found', `${CURVE}: model "${p.model}" has no ${LM_TRAINING_FILE}: only a model the app pretrained (lm train, or Models ▸ Train a language model) has a loss curve`);
  const { readLossCurve } = await import('../../lm/plot.js');
  let loss;
  try {
    loss = readLossCurve(file);
  } catch (err) {
    throw new ApiError('bad_request', `${CURVE}: ${(err as Error).message}`);
  }
  const { modelEvaluation } = await import('../workspace/scan.js');
  const evaluation = modelEvaluation(ctx.workspace, p.model, ctx.warn);
  return { model: p.model, heldOut: loss.heldOut, train: loss.train, unigramLoss: loss.unigramLoss, bigramLoss: evaluation?.bigramLoss ?? null };
}

export const lmHandlers: DomainHandlers<'lm'> = {
  'lm.evaluate': async (params, ctx) => {
    const p = readParams<LmEvaluateParams>(EVALUATE, params, {
      model: { type: 'string', ...ENTRY_NAME },
      dataset: { type: 'string', optional: true, ...DATASET_ID },
      holdoutEvery: { type: 'integer', optional: true, min: 2, max: 1_000_000 },
      ctx: { type: 'integer', optional: true, min: 1 },
      tokens: { type: 'integer', optional: true, min: 1, max: TRAIN_LIMITS.tokens },
    });
    const plan = await planLmEvaluation(ctx.workspace, p);
    const job = ctx.jobs.start({
      kind: 'lm-eval',
      title: `evaluate language model ${p.model} on ${plan.dataset} (${Math.ceil(plan.settings.evalTokens / plan.settings.ctx) * plan.settings.ctx} held-out positions)`,
      pausable: false,
      run: (jobContext) => runLmEvaluation(plan, jobContext, ctx),
    });
    return { jobId: job.id };
  },

  'lm.sample': (params, ctx) =>
    sample(
      readParams<LmSampleParams>(SAMPLE, params, {
        model: { type: 'string', ...ENTRY_NAME },
        prompts: { type: 'string[]', minItems: 1, maxItems: 8 },
        maxTokens: { type: 'integer', optional: true, min: 1, max: 256 },
        temperature: { type: 'number', optional: true, min: 0, max: 10 },
        topK: { type: 'integer', optional: true, min: 1 },
        seed: { type: 'integer', optional: true, min: 0, max: 2 ** 32 - 1 },
        samples: { type: 'integer', optional: true, min: 1, max: 8 },
        bos: { type: 'boolean', optional: true },
      }),
      ctx,
    ),

  'lm.curve': (params, ctx) => curve(readParams<LmCurveParams>(CURVE, params, { model: { type: 'string', ...ENTRY_NAME } }), ctx),

  'lm.export': (params, ctx) => {
    const p = readParams<LmExportParams>(EXPORT, params, {
      model: { type: 'string', ...ENTRY_NAME },
      name: { type: 'string', ...ENTRY_NAME },
      dtype: { type: 'enum', optional: true, values: ['f16', 'f32'] },
    });
    const source = requireModel(ctx.workspace, EXPORT, p.model);
    const target = newEntry(ctx.workspace, EXPORT, 'models', 'model', p.name);
    const dtype = p.dtype === 'f32' ? 'F32' : 'F16';
    const job = ctx.jobs.start({
      kind: 'lm-export',
      title: `copy language model ${p.model} with ${dtype} weights as ${p.name}`,
      pausable: false,
      run: async (job) => {
        await ctx.engine.start();
        job.progress({ done: 0, total: 1, unit: 'models', phase: `writing ${dtype} weights` });
        const { convertGpt2Folder } = await import('../../lm/export.js');
        const { bytes } = convertGpt2Folder(source, target, dtype, {
          signal: job.signal,
          provenance: { source: `${dtype} copy of ${p.model}`, from: p.model, dtype, createdAt: new Date().toISOString() },
        });
        return { wrote: [`model:${p.name}`], summary: { dtype, bytes } };
      },
    });
    return { jobId: job.id };
  },

  'lm.train': async (params, ctx) => {
    const p = readLmTrainParams(params);
    const { workspace } = ctx;
    const dataset = corpusSpec(workspace, METHOD, p.dataset);
    const from = p.from === undefined ? undefined : requireModel(workspace, METHOD, p.from);
    const out = workspace.model(p.name);
    if (!p.resume && existsSync(out)) {
      throw new ApiError('conflict', `${METHOD}: model "${p.name}" already exists in ${workspace.dir('models')}; pick another name or set resume`);
    }
    if (p.vocabSize !== undefined && from !== undefined) {
      throw new ApiError('bad_request', `${METHOD}: vocabSize ${p.vocabSize} fits a new vocabulary, but a model continued from "${p.from}" keeps its own; drop vocabSize or from`);
    }
    // The fitted BPE is written into the model's folder itself, which the export then keeps.
    const config: Record<string, unknown> = {
      dataset, out, from, tokenizer: p.vocabSize === undefined ? undefined : out, layers: p.layers, dModel: p.dModel, heads: p.heads, ctx: p.ctx, tokens: p.tokens, batch: p.batch, lr: p.lr, seed: p.seed, evalEvery: p.evalEvery, resume: p.resume, threads: p.threads,
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
      run: (jobContext) => runLmTraining(config, out, jobContext, ctx, p.vocabSize),
    });
    return { jobId: job.id };
  },
};
