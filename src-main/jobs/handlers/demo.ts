// demo.build: the demo workspace as one job — the shipped model copied in, the family trained (or
// continued from its checkpoint), harvested and mapped, and when the model carries snapshots of its
// pretraining a checkpoints set trained (continued likewise), harvested and matched — skipping what
// is already built, whether the app or `sae-explorer demo` built it (both plan through src-main/demo).
// The app starts it when it opens its demo workspace unbuilt, so a first `npm start` shows the build's progress.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApiError, FINISHED_JOB_STATES } from '../../../src-shared/api.js';
import type { DemoBuildParams, JobResult } from '../../../src-shared/api.js';
import type { DemoPlan } from '../../demo/plan.js';
import { TRAIN_LIMITS } from '../../train/limits.js';
import type { DomainHandlers, HandlerContext } from '../handler.js';
import type { JobContext } from '../manager.js';
import { EMBEDDED_DATASET } from '../workspace/layout.js';
import { readParams } from '../params.js';
import { corpusSpec } from './datasets.js';
import { saeIdOf } from './feature-views.js';
import { runHarvestJob } from './harvest.js';
import { runTraining } from './training.js';

const METHOD = 'demo.build';
const TINY_MODEL = 'tiny-gpt2';

/** The job's progress with the demo's step in front of each phase ("2/2 harvest + map: …"). */
function step(job: JobContext, label: string): JobContext {
  return { ...job, progress: (report) => job.progress({ ...report, phase: `${label}: ${report.phase}` }) };
}

/**
 * The demo's model folder in the workspace, made now when missing (a copy of the shipped model, or a
 * generated tiny one: both take a moment), so that a missing or damaged shipped model is the
 * request's own clear error rather than a job's.
 */
async function installModel(model: DemoBuildParams['model'], ctx: HandlerContext): Promise<string> {
  if (model === 'tiny') {
    const dir = ctx.workspace.model(TINY_MODEL);
    if (!existsSync(path.join(dir, 'config.json'))) (await import('../../model/tiny.js')).createTinyModel(dir);
    return dir;
  }
  const { installShippedModel } = await import('../../demo/shipped-model.js');
  await ctx.engine.start();
  try {
    return (await installShippedModel(ctx.workspace)).dir;
  } catch (err) {
    throw new ApiError('not_available', `${METHOD}: ${(err as Error).message}`);
  }
}

async function buildDemo(plan: DemoPlan, job: JobContext, ctx: HandlerContext): Promise<JobResult> {
  const { checkpointShares, demoProgress } = await import('../../demo/plan.js');
  const { CHECKPOINT_FILE } = await import('../../train/checkpoint.js');
  const { resolveModelThreads } = await import('../../model/pool.js');
  const { familyMembers } = await import('../../features/harvest-inputs.js');
  const built = demoProgress(plan);
  const dataset = corpusSpec(ctx.workspace, METHOD, EMBEDDED_DATASET);
  const model = path.basename(plan.modelDir);
  const family = path.basename(plan.familyDir);
  const set = plan.checkpoints;
  const stages = set ? 4 : 2;
  const trainConfig = {
    model: plan.modelDir, dataset, hook: plan.hook, k: plan.k, batch: plan.batch, lr: plan.lr, evalTokens: plan.evalTokens,
    modelThreads: resolveModelThreads(undefined, METHOD).threads,
  };
  // Between phases a cancel ends the build at once (the trainer and harvest also watch the signal).
  await job.checkpoint();
  if (built.trained) job.log('info', `${plan.familyDir} is already trained; reusing it`);
  else {
    const config = {
      ...trainConfig, latents: plan.latents, tokens: plan.tokens, out: plan.familyDir,
      // A build the app was closed during continues from the family's checkpoint.
      resume: existsSync(path.join(plan.familyDir, CHECKPOINT_FILE)),
    };
    // The trainer reports after its first steps; until then the bar says what is happening.
    job.progress({ done: 0, total: plan.tokens, unit: 'tokens', phase: `1/${stages} train: loading the model and reading the corpus` });
    const { trainFamily } = await import('../../train/trainer.js');
    await runTraining((resume, context) => trainFamily({ ...config, resume }, context), config.resume, plan.familyDir, step(job, `1/${stages} train`), ctx);
  }
  await job.checkpoint();
  if (built.mapped) job.log('info', `${plan.familyDir} is already harvested and mapped; reusing them`);
  else {
    const harvest = { model, family, dataset: EMBEDDED_DATASET, tokens: plan.harvestTokens, umap: true };
    await runHarvestJob({ modelFolder: plan.modelDir, familyFolder: plan.familyDir, memberModels: null, dataset, dbFile: plan.database, params: harvest }, step(job, `2/${stages} harvest + map`), ctx);
  }
  const saes = familyMembers(plan.familyDir).map((dir) => `sae:${saeIdOf(ctx.workspace, dir)}`);
  const summary: Record<string, string | number> = { model, family, hook: plan.hook, sizes: plan.latents.join(', ') };
  if (set) {
    const { checkpointMembers, setHasProgress } = await import('../../train/checkpoint-set.js');
    const members = checkpointMembers(set.snapshots.map((s) => s.dir), plan.modelDir);
    await job.checkpoint();
    if (built.checkpoints!.trained) job.log('info', `${set.setDir} is already trained; reusing it`);
    else {
      // Same site, k, rate and batch as the family; one size, and the same windows for every member.
      const config = { ...trainConfig, latents: [set.latents], tokens: set.tokens, out: set.setDir };
      const resume = setHasProgress(set.setDir);
      // Each member's trainer counts its own tokens from 0, so the phase names the member it is at.
      let member = '';
      const named: JobContext = { ...job, progress: (report) => job.progress({ ...report, phase: `3/${stages} train checkpoints: ${member}${report.phase}` }) };
      const { trainCheckpointSet } = await import('../../train/checkpoint-set.js');
      const onMember = (i: number, m: { label: string }) => {
        member = `${m.label} (${i + 1} of ${members.length}), `;
        named.progress({ done: 0, total: set.tokens, unit: 'tokens', phase: 'loading the model and reading the corpus' });
      };
      await runTraining((again, context) => trainCheckpointSet({ ...config, resume: again }, members, context, onMember), resume, set.setDir, named, ctx);
    }
    await job.checkpoint();
    if (built.checkpoints!.matched) job.log('info', `${set.setDir} is already harvested and matched; reusing them`);
    else {
      const harvest = { model, family: path.basename(set.setDir), dataset: EMBEDDED_DATASET, tokens: plan.harvestTokens, umap: false };
      const memberModels = [...set.snapshots.map((s) => s.dir), plan.modelDir];
      await runHarvestJob({ modelFolder: plan.modelDir, familyFolder: set.setDir, memberModels, dataset, dbFile: plan.database, params: harvest }, step(job, `4/${stages} harvest checkpoints`), ctx);
    }
    saes.push(...familyMembers(set.setDir).map((dir) => `sae:${saeIdOf(ctx.workspace, dir)}`));
    summary.checkpoints = members.map((m) => m.label).join(', ');
    for (const m of checkpointShares(plan) ?? []) if (m.share !== null) summary[`share_present_${m.label}`] = m.share;
  }
  return { wrote: [`model:${model}`, ...saes, `db:${path.basename(plan.database)}`], summary };
}

export const demoHandlers: DomainHandlers<'demo'> = {
  'demo.build': async (params, ctx) => {
    const p = readParams<DemoBuildParams>(METHOD, params, {
      model: { type: 'enum', optional: true, values: ['shipped', 'tiny'] },
      expansion: { type: 'number[]', optional: true, min: 0.01, max: 1024, minItems: 1, maxItems: TRAIN_LIMITS.sizes },
      k: { type: 'integer', optional: true, min: 1, max: TRAIN_LIMITS.k },
      tokens: { type: 'integer', optional: true, min: 1, max: TRAIN_LIMITS.tokens },
      batch: { type: 'integer', optional: true, min: 1, max: TRAIN_LIMITS.batch },
      evalTokens: { type: 'integer', optional: true, min: 0, max: TRAIN_LIMITS.evalTokens },
      harvestTokens: { type: 'integer', optional: true, min: 1, max: TRAIN_LIMITS.tokens },
      checkpointTokens: { type: 'integer', optional: true, min: 0, max: TRAIN_LIMITS.tokens },
    });
    const building = ctx.jobs.list().find((job) => job.kind === 'demo' && !FINISHED_JOB_STATES.includes(job.state));
    if (building) return { jobId: building.id };
    const { demoPlan, demoProgress } = await import('../../demo/plan.js');
    const { readGpt2Config } = await import('../../model/load.js');
    const { model, ...settings } = p;
    const dir = await installModel(model, ctx);
    const plan = demoPlan(ctx.workspace, dir, readGpt2Config(dir), settings);
    const built = demoProgress(plan);
    if (built.trained && built.mapped && (built.checkpoints?.matched ?? true)) return { jobId: null };
    const across = plan.checkpoints ? `; ${plan.checkpoints.latents} latents on ${plan.checkpoints.snapshots.map((s) => s.name).join(', ')} and the final model, matched` : '';
    const job = ctx.jobs.start({
      kind: 'demo',
      title: `build the demo: ${plan.latents.join(', ')} latents on ${path.basename(dir)} ${plan.hook}, harvest and map${across}`,
      pausable: false,
      run: (jobContext) => buildDemo(plan, jobContext, ctx),
    });
    return { jobId: job.id };
  },
};
