// training.start: validates a family-training request against the workspace, then runs the family
// trainer (src-main/train) as a pausable job. The trainer stops only by saving a checkpoint, so
// pausing stops it that way and resuming continues from that checkpoint (exactly, per the trainer).
// The same checkpoint lets a run interrupted by the compute process's death continue (jobs.resume).
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { JobResult, TrainParams } from '../../../src-shared/api.js';
import type { HookName } from '../../../src-shared/hooks.js';
import { TRAIN_LIMITS } from '../../train/limits.js';
import type { TrainEvent } from '../../train/events.js';
import type { FamilyRunResult, TrainContext } from '../../train/trainer.js';
import type { DomainHandlers, HandlerContext } from '../handler.js';
import type { JobRecord } from '../job-store.js';
import type { JobContext } from '../manager.js';
import type { WorkspaceLayout } from '../workspace/layout.js';
import { DATASET_ID, ENTRY_NAME, readParams } from '../params.js';
import { corpusSpec } from './datasets.js';
import { saeIdOf } from './feature-views.js';
import { newEntry, requireModel } from './lookup.js';

const METHOD = 'training.start';

function readTrainParams(params: unknown): TrainParams {
  return readParams<TrainParams>(METHOD, params, {
    model: { type: 'string', ...ENTRY_NAME },
    dataset: { type: 'string', ...DATASET_ID },
    hook: { type: 'string', pattern: /^(hook_embed|hook_pos_embed|ln_final\.hook_normalized|blocks\.\d+\.[\w.]+)$/, patternHint: 'a TransformerLens hook name like "blocks.1.hook_resid_post"' },
    latents: { type: 'integer[]', min: 1, max: TRAIN_LIMITS.latents, minItems: 1, maxItems: TRAIN_LIMITS.sizes },
    k: { type: 'integer', min: 1, max: TRAIN_LIMITS.k },
    tokens: { type: 'integer', min: 1, max: TRAIN_LIMITS.tokens },
    family: { type: 'string', ...ENTRY_NAME },
    arch: { type: 'enum', optional: true, values: ['topk', 'relu', 'batchtopk', 'jumprelu', 'gated', 'matryoshka'] },
    batch: { type: 'integer', optional: true, min: 1, max: TRAIN_LIMITS.batch },
    lr: { type: 'number', optional: true, min: 0, max: 1 },
    evalTokens: { type: 'integer', optional: true, min: 0, max: TRAIN_LIMITS.evalTokens },
    resume: { type: 'boolean', optional: true },
    checkpoints: { type: 'string[]', optional: true, ...ENTRY_NAME, minItems: 1, maxItems: TRAIN_LIMITS.sizes },
  });
}

/** Trainer progress as job progress: tokens overall, and the metrics of each size as a series. */
function report(event: TrainEvent, job: JobContext): void {
  if (event.type === 'progress') {
    job.progress({
      done: event.tokens,
      total: event.totalTokens,
      unit: 'tokens',
      phase: 'training',
      metrics: { step: event.step, total_steps: event.totalSteps, tokens_per_s: event.tokensPerSecond },
      series: Object.fromEntries(
        event.perSae.map((s) => [String(s.dSae), { loss: s.loss, train_fvu: s.trainFvu, l0: s.l0, dead_frac: s.deadFraction, ...s.losses }]),
      ),
    });
  } else if (event.type === 'log') job.log(event.level, event.message);
  else if (event.type === 'checkpoint') job.log('info', `checkpoint at step ${event.step}`);
}

/** One session of the trainer: a family run, or a checkpoints set run (members from workspace models). */
export type TrainSession = (resume: boolean, context: TrainContext) => Promise<FamilyRunResult>;

export async function runTraining(train: TrainSession, resumeFirst: boolean, out: string, job: JobContext, ctx: HandlerContext): Promise<JobResult> {
  await ctx.engine.start();
  let resume = resumeFirst;
  for (;;) {
    const stop = job.interruption();
    try {
      let result: FamilyRunResult | null = null;
      try {
        result = await train(resume, { signal: stop.signal, onEvent: (event) => report(event, job) });
      } catch (err) {
        // Before its first step (loading, reading the corpus) the trainer stops by throwing the abort reason.
        if (!stop.signal.aborted) throw err;
      }
      if (result?.status === 'finished') {
        const summary: Record<string, number | string> = { steps: result.step };
        for (const r of result.results) {
          // Keyed by the member's folder: its d_sae in a family, its checkpoint in a checkpoints set.
          const key = path.basename(r.dir);
          Object.assign(summary, { [`dead_frac_${key}`]: r.deadFrac, [`tokens_per_s_${key}`]: r.tokensPerS });
          if (r.trainFvu !== null) summary[`train_fvu_${key}`] = r.trainFvu;
          if (r.trainL0 !== null) summary[`train_l0_${key}`] = r.trainL0;
          // No eval tokens, no eval keys: a training figure never stands in for an eval one.
          if (r.evalFvu !== null) summary[`eval_fvu_${key}`] = r.evalFvu;
          if (r.evalL0 !== null) summary[`eval_l0_${key}`] = r.evalL0;
          if (r.deltaLmLoss !== null) summary[`delta_lm_loss_${key}`] = r.deltaLmLoss;
          if (r.ceLossScore !== null) summary[`ce_loss_score_${key}`] = r.ceLossScore;
          ctx.resources.forgetSae(r.dir);
        }
        return { wrote: result.results.map((r) => `sae:${saeIdOf(ctx.workspace, r.dir)}`), summary };
      }
      job.log('info', result ? `training stopped at step ${result.step}` : 'training stopped before its first step');
    } finally {
      stop.close();
    }
    // The trainer stopped on pause or cancel: wait while paused (throws if cancelled), then resume
    // from the checkpoint it saved (none yet when it stopped before its first step).
    await job.checkpoint();
    resume = await hasProgress(out);
  }
}

/** A family's checkpoint, or a checkpoints set's finished members and member checkpoints. */
async function hasProgress(out: string): Promise<boolean> {
  const { CHECKPOINT_FILE } = await import('../../train/checkpoint.js');
  const { setHasProgress } = await import('../../train/checkpoint-set.js');
  return existsSync(path.join(out, CHECKPOINT_FILE)) || setHasProgress(out);
}

/**
 * Removes a family folder that holds neither a checkpoint nor a finished SAE, as a failed or killed
 * run leaves it (empty, or with a checkpoint's temporary file): kept, its name would answer
 * `conflict` to the next training.start although there is nothing in it to resume.
 */
async function dropIfNothingToKeep(out: string): Promise<void> {
  if (existsSync(out) && !(await hasProgress(out))) rmSync(out, { recursive: true, force: true });
}

/** After a crash: whether an interrupted training can continue (its checkpoint survived); else frees its name. */
export async function recoverTrainingJob(record: JobRecord, workspace: WorkspaceLayout): Promise<boolean> {
  if (record.request?.method !== METHOD) return false;
  const out = workspace.family((record.request.params as TrainParams).family);
  await dropIfNothingToKeep(out);
  return hasProgress(out);
}

export const trainingHandlers: DomainHandlers<'training'> = {
  'training.start': async (params, ctx) => {
    const p = readTrainParams(params);
    const { workspace } = ctx;
    const modelFolder = requireModel(workspace, METHOD, p.model);
    const dataset = corpusSpec(workspace, METHOD, p.dataset);
    const tooSmall = p.latents.find((n) => n < p.k);
    if (tooSmall !== undefined) throw new ApiError('bad_request', `${METHOD}: every size in "latents" must be ≥ k (${p.k}), got ${tooSmall}`);
    const earlier = (p.checkpoints ?? []).map((id) => ({ label: id, model: requireModel(workspace, METHOD, id) }));
    if (earlier.length > 0 && p.latents.length !== 1) throw new ApiError('bad_request', `${METHOD}: a checkpoints set trains one SAE per checkpoint: give one size in "latents", got ${p.latents.length}`);
    const labels = [...(p.checkpoints ?? []), p.model];
    const repeated = labels.find((id, i) => labels.indexOf(id) !== i);
    if (repeated !== undefined) throw new ApiError('bad_request', `${METHOD}: model "${repeated}" appears twice in "checkpoints" and "model"; each checkpoint once, the final model as "model"`);
    const out = newEntry(workspace, METHOD, 'saes', 'family', p.family, p.resume === true);
    const config: Record<string, unknown> = { model: modelFolder, dataset, hook: p.hook, latents: p.latents, k: p.k, tokens: p.tokens, out, arch: p.arch, batch: p.batch, lr: p.lr, evalTokens: p.evalTokens, resume: p.resume };
    const { resolveSizes, validateTrainRunConfig } = await import('../../train/config.js');
    const { checkRunMemory, machineBudget } = await import('../../train/memory.js');
    const { readGpt2Config } = await import('../../model/load.js');
    const { hookWidth } = await import('../../data/activations.js');
    // The memory check needs the running backend (wasm bounds one instance's heap).
    const backend = await ctx.engine.start();
    const { resolveModelThreads } = await import('../../model/pool.js');
    // The app runs GPT-2 on every core (one worker thread each) on wasm; TensorFlow already does.
    config.modelThreads = resolveModelThreads(undefined, METHOD).threads;
    try {
      const run = validateTrainRunConfig(config);
      const model = readGpt2Config(modelFolder);
      const dIn = hookWidth(p.hook as HookName, model);
      checkRunMemory(run, model, dIn, resolveSizes(run, dIn), machineBudget(backend));
    } catch (err) {
      throw new ApiError('bad_request', `${METHOD}: ${(err as Error).message}`);
    }
    const { trainFamily } = await import('../../train/trainer.js');
    const { FINAL_LABEL, trainCheckpointSet } = await import('../../train/checkpoint-set.js');
    // Members are labelled by their ModelEntry ids, so the set's family.json names workspace models.
    const members = [...earlier, { label: FINAL_LABEL, model: modelFolder }];
    const train: TrainSession =
      earlier.length === 0
        ? (resume, context) => trainFamily({ ...config, resume }, context)
        : (resume, context) => trainCheckpointSet({ ...config, resume }, members, context);
    const job = ctx.jobs.start({
      kind: 'train',
      title: `train ${p.family} (${p.latents.join(', ')} latents, k ${p.k}) on ${earlier.length > 0 ? `${p.checkpoints!.join(', ')} and ` : ''}${p.model} ${p.hook}`,
      pausable: true,
      request: { method: METHOD, params: p },
      run: async (jobContext) => {
        try {
          return await runTraining(train, p.resume === true, out, jobContext, ctx);
        } catch (err) {
          await dropIfNothingToKeep(out);
          throw err;
        }
      },
    });
    return { jobId: job.id };
  },
};
