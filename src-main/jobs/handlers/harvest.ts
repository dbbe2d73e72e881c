// harvest.start: one pass over a corpus for every size of a family into the workspace's feature
// database (src-main/features/harvest-job.ts), then the family's joint UMAPs (by decoder and by
// activation), as one cancellable job. A checkpoints set instead runs each member on its own model
// over the same windows and matches the members' latents by activation correlation
// (src-main/features/set-harvest.ts); no joint UMAP, since its members' decoder directions live in
// different bases.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { HarvestParams, JobResult } from '../../../src-shared/api.js';
import type { Gpt2 } from '../../model/gpt2.js';
import { TRAIN_LIMITS } from '../../train/limits.js';
import type { DomainHandlers, HandlerContext } from '../handler.js';
import { DEFAULT_DATABASE, type WorkspaceLayout } from '../workspace/layout.js';
import type { JobContext } from '../manager.js';
import { DATASET_ID, ENTRY_NAME, readParams } from '../params.js';
import { corpusSpec } from './datasets.js';
import { newEntry, requireFamily, requireModel } from './lookup.js';

const METHOD = 'harvest.start';

export interface HarvestPlan {
  modelFolder: string;
  familyFolder: string;
  /** A checkpoints set's member models, in the set's order (the last is modelFolder); null for a set of sizes. */
  memberModels: string[] | null;
  dataset: string;
  dbFile: string;
  params: HarvestParams;
}

export async function runHarvestJob(plan: HarvestPlan, job: JobContext, ctx: HandlerContext): Promise<JobResult> {
  await ctx.engine.start();
  job.progress({ done: 0, total: plan.params.tokens, unit: 'tokens', phase: 'loading model' });
  if (plan.memberModels) return harvestSet(plan, plan.memberModels, job, ctx);
  const { model, release } = await ctx.resources.acquireModel(plan.modelFolder);
  try {
    return await harvestWithModel(plan, job, ctx, model);
  } finally {
    release();
  }
}

/** A checkpoints set: each member on its own model over the same windows, then the counterparts matched. */
async function harvestSet(plan: HarvestPlan, folders: string[], job: JobContext, ctx: HandlerContext): Promise<JobResult> {
  const { harvestWindowsFor } = await import('../../features/harvest-inputs.js');
  const { harvestCheckpointSet } = await import('../../features/set-harvest.js');
  const { readSetFile } = await import('../../features/comparable-set.js');
  const { parseHarvestConfig } = await import('../../features/harvest-config.js');
  const { readUnembedding } = await import('../../features/unembedding.js');
  const { params } = plan;
  const tokenizer = await ctx.resources.tokenizer(plan.modelFolder);
  const db = await ctx.resources.database(plan.dbFile);
  job.progress({ done: 0, total: params.tokens, unit: 'tokens', phase: 'reading corpus' });
  const windows = await harvestWindowsFor(plan.dataset, tokenizer, params.tokens, job.signal);
  const tokens = windows.count * (windows.contextSize - 1);
  const held: Array<() => void> = [];
  try {
    const models = [];
    for (const [i, folder] of folders.entries()) {
      job.progress({ done: i, total: folders.length, unit: 'models', phase: 'loading models' });
      const { model, release } = await ctx.resources.acquireModel(folder);
      held.push(release);
      models.push({ name: folder, model, unembedding: readUnembedding(folder) });
    }
    const result = await harvestCheckpointSet({
      db,
      set: readSetFile(plan.familyFolder),
      models,
      tokenText: (id) => tokenizer.displayToken(id),
      dataset: plan.dataset,
      windows,
      config: parseHarvestConfig({ topN: params.top ?? 40 }),
      onProgress: (event) => {
        if ('fraction' in event) job.progress({ done: Math.round(event.fraction * tokens), total: tokens, unit: 'tokens', phase: `harvest: ${event.stage}` });
        else job.progress({ done: event.done, total: event.total, unit: event.stage === 'matching' ? 'windows' : 'latents', phase: `harvest: ${event.stage}` });
      },
      signal: job.signal,
    });
    const summary: Record<string, number | string> = { tokens, match_tokens: result.matchTokens };
    result.members.forEach((s, i) => (summary[`dead_frac_${path.basename(folders[i]!)}`] = s.deadFraction));
    return { wrote: [`db:${path.basename(plan.dbFile)}`], summary };
  } finally {
    for (const release of held) release();
  }
}

async function harvestWithModel(plan: HarvestPlan, job: JobContext, ctx: HandlerContext, model: Gpt2): Promise<JobResult> {
  const { loadHarvestSaes, harvestWindowsFor } = await import('../../features/harvest-inputs.js');
  const { runHarvest } = await import('../../features/harvest-job.js');
  const { resolveModelThreads, withModelPool } = await import('../../model/pool.js');
  const { activationsOnOnnx } = await import('../../data/onnx-activations.js');
  const { parseHarvestConfig } = await import('../../features/harvest-config.js');
  const { readUnembedding } = await import('../../features/unembedding.js');
  const { runUmap, umapTargets } = await import('../../features/umap-job.js');
  const { params } = plan;
  const saes = loadHarvestSaes([plan.familyFolder]);
  const tokenizer = await ctx.resources.tokenizer(plan.modelFolder);
  const db = await ctx.resources.database(plan.dbFile);
  job.progress({ done: 0, total: params.tokens, unit: 'tokens', phase: 'reading corpus' });
  const windows = await harvestWindowsFor(plan.dataset, tokenizer, params.tokens, job.signal);
  const tokens = windows.count * (windows.contextSize - 1);
  const summaries = await withModelPool(model, activationsOnOnnx(model) ? 1 : resolveModelThreads(undefined, 'harvest').threads, (pool) => runHarvest({
    db,
    pool,
    modelName: plan.modelFolder,
    model,
    unembedding: readUnembedding(plan.modelFolder),
    tokenText: (id) => tokenizer.displayToken(id),
    dataset: plan.dataset,
    windows,
    saes,
    config: parseHarvestConfig({ topN: params.top ?? 40 }),
    onProgress: (event) => {
      if ('fraction' in event) job.progress({ done: Math.round(event.fraction * tokens), total: tokens, unit: 'tokens', phase: `harvest: ${event.stage}` });
      else job.progress({ done: event.done, total: event.total, unit: 'latents', phase: `harvest: ${event.stage}` });
    },
    signal: job.signal,
  }));
  const summary: Record<string, number | string> = { tokens };
  for (const s of summaries) summary[`dead_frac_${s.dSae}`] = s.deadFraction;
  if (params.umap !== false) {
    // Both bases: the map view switches between them. The activation map reads the profiles this harvest stored.
    const targets = umapTargets(db, { family: plan.familyFolder });
    const { points } = await runUmap(db, targets, 'decoder', {}, (stage, done, total) => job.progress({ done, total, unit: 'steps', phase: `umap: ${stage}` }), job.signal);
    summary.umap_points = points;
    const activation = await runUmap(db, targets, 'activation', {}, (stage, done, total) => job.progress({ done, total, unit: 'steps', phase: `umap (activation basis): ${stage}` }), job.signal);
    summary.umap_activation_points = activation.points;
  }
  return { wrote: [`db:${path.basename(plan.dbFile)}`], summary };
}

/** On the GPU, refuses a harvest whose weights alone exceed the device's free memory, before the job starts. */
async function checkFitsDevice(plan: HarvestPlan, ctx: HandlerContext): Promise<void> {
  await ctx.engine.start();
  const { checkDeviceMemory } = await import('../../engine/backend.js');
  const { familyMembers, harvestWeightBytes } = await import('../../features/harvest-inputs.js');
  try {
    checkDeviceMemory(harvestWeightBytes(plan.modelFolder, familyMembers(plan.familyFolder)), `${METHOD}: harvest of ${plan.params.family} with ${plan.params.model}`);
  } catch (err) {
    throw new ApiError('bad_request', (err as Error).message);
  }
}

/**
 * The workspace models of a checkpoints set's members (from its family.json), or null for a set of
 * sizes. The request's model must be the set's final one, so a harvest never runs on a model other
 * than the one it names.
 */
async function checkpointModels(workspace: WorkspaceLayout, familyFolder: string, p: HarvestParams): Promise<string[] | null> {
  const { SET_FILE, readSetFile } = await import('../../features/comparable-set.js');
  if (!existsSync(path.join(familyFolder, SET_FILE))) return null;
  let set;
  try {
    set = readSetFile(familyFolder);
  } catch (err) {
    throw new ApiError('bad_request', `${METHOD}: ${(err as Error).message}`);
  }
  if (set.kind !== 'checkpoints') return null;
  const models = set.members.map((m) => m.model!);
  if (models[models.length - 1] !== p.model) {
    throw new ApiError('bad_request', `${METHOD}: "${p.family}" is a checkpoints set whose final model is "${models[models.length - 1]}"; each member is harvested on its own checkpoint, so name the final model, not "${p.model}"`);
  }
  return models.map((id) => requireModel(workspace, METHOD, id));
}

export const harvestHandlers: DomainHandlers<'harvest'> = {
  'harvest.start': async (params, ctx) => {
    const p = readParams<HarvestParams>(METHOD, params, {
      model: { type: 'string', ...ENTRY_NAME },
      family: { type: 'string', ...ENTRY_NAME },
      dataset: { type: 'string', ...DATASET_ID },
      tokens: { type: 'integer', min: 1, max: TRAIN_LIMITS.tokens },
      top: { type: 'integer', optional: true, min: 1, max: 1000 },
      db: { type: 'string', optional: true, pattern: /^[A-Za-z0-9][\w.-]*\.(sqlite|db)$/, patternHint: 'a file name ending in .sqlite or .db' },
      umap: { type: 'boolean', optional: true },
    });
    const { workspace } = ctx;
    const familyFolder = requireFamily(workspace, METHOD, p.family);
    const plan: HarvestPlan = {
      modelFolder: requireModel(workspace, METHOD, p.model),
      familyFolder,
      memberModels: await checkpointModels(workspace, familyFolder, p),
      dataset: corpusSpec(workspace, METHOD, p.dataset),
      dbFile: newEntry(workspace, METHOD, 'db', 'database', p.db ?? DEFAULT_DATABASE, true),
      params: p,
    };
    if (!ctx.jobs.list().every((job) => job.kind !== 'harvest' || ['done', 'failed', 'cancelled'].includes(job.state))) {
      throw new ApiError('conflict', `${METHOD}: a harvest is already queued or running; wait for it or cancel it`);
    }
    await checkFitsDevice(plan, ctx);
    const job = ctx.jobs.start({
      kind: 'harvest',
      title: `harvest ${p.family} on ${p.model} (${p.tokens} tokens${p.umap === false ? '' : ' + UMAP'})`,
      pausable: false,
      run: (jobContext) => runHarvestJob(plan, jobContext, ctx),
    });
    return { jobId: job.id };
  },
};
