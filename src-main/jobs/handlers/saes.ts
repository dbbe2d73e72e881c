// saes.evaluate: the CLI's `sae eval --save` (src-main/train/eval.ts) on a workspace SAE, model and
// dataset, as a cancellable job. The figures go into the SAE's eval.json with the model and dataset
// ids they were measured on, and workspace.list shows them with the SAE.
// saes.releases / saes.importRelease: the public GPT-2 small releases by name, downloaded into the
// Hugging Face cache and written as families under saes/, as the CLI's `sae import --release` does.
import { ApiError } from '../../../src-shared/api.js';
import type { ImportReleaseParams, JobResult, ReleaseInfo, SaeEvaluateParams } from '../../../src-shared/api.js';
import type { SaeRelease } from '../../sae/releases/registry.js';
import type { DomainHandlers, HandlerContext } from '../handler.js';
import type { JobContext } from '../manager.js';
import { DATASET_ID, ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { TRAIN_LIMITS } from '../../train/limits.js';
import { corpusSpec } from './datasets.js';
import { newEntry, requireModel, requireSae } from './lookup.js';

const METHOD = 'saes.evaluate';
/** Windows per forward pass when the request does not say: the CLI's default. */
const DEFAULT_BATCH = 8;

interface EvalPlan {
  saeFolder: string;
  modelFolder: string;
  corpus: string;
  params: SaeEvaluateParams;
}

async function runEvaluation(plan: EvalPlan, job: JobContext, ctx: HandlerContext): Promise<JobResult> {
  const { params } = plan;
  job.progress({ done: 0, total: params.tokens, unit: 'tokens', phase: 'loading model' });
  const { model, release } = await ctx.resources.acquireModel(plan.modelFolder);
  try {
    const { importSaeDetailed } = await import('../../sae/formats/detect.js');
    const { evaluateSae, writeEvalJson } = await import('../../train/eval.js');
    // The CLI's loader: it checks the SAE fits the model (d_in, hook) and names the mismatch if not.
    const { bundle } = await importSaeDetailed(plan.saeFolder, { model: model.config });
    job.progress({ done: 0, total: params.tokens, unit: 'tokens', phase: 'evaluating' });
    const result = await evaluateSae({
      model,
      sae: bundle,
      dataset: plan.corpus,
      tokenizer: await ctx.resources.tokenizer(plan.modelFolder),
      tokens: params.tokens,
      batch: params.batch ?? DEFAULT_BATCH,
      signal: job.signal,
    });
    writeEvalJson(plan.saeFolder, result, { model: params.model, dataset: params.dataset });
    job.progress({ done: result.tokens, total: result.tokens, unit: 'tokens', phase: 'evaluated' });
    return {
      wrote: [`sae:${params.sae}`],
      summary: { tokens: result.tokens, eval_fvu: result.evalFvu, l0: result.l0, never_fired_frac: result.neverFiredFrac, delta_lm_loss: result.deltaLmLoss, ce_loss_score: result.ceLossScore },
    };
  } finally {
    release();
  }
}

function releaseInfo(release: SaeRelease, layers: number[]): ReleaseInfo {
  return {
    name: release.name,
    repoId: release.repoId,
    model: release.model,
    architecture: release.architecture,
    k: release.k ?? null,
    normalizeActivations: release.normalizeActivations,
    centringFolded: release.centredResidual,
    summary: release.summary,
    caveats: release.caveats,
    layers,
    saes: release.saes.map((s) => ({ id: s.id, layer: s.layer, hookName: s.hookName, dSae: s.dSae })),
  };
}

export const saeHandlers: DomainHandlers<'saes'> = {
  'saes.releases': async (params) => {
    readParams<Record<string, never>>('saes.releases', params, {});
    const { RELEASES, releaseLayers } = await import('../../sae/releases/registry.js');
    return RELEASES.map((r) => releaseInfo(r, releaseLayers(r)));
  },

  'saes.importRelease': async (params, ctx) => {
    const method = 'saes.importRelease';
    const p = readParams<ImportReleaseParams>(method, params, {
      release: { type: 'string', maxLength: 100 },
      layers: { type: 'integer[]', optional: true, min: 0, max: 1000, minItems: 1, maxItems: 100 },
    });
    const { findRelease, planReleaseFamilies, selectReleaseSaes } = await import('../../sae/releases/registry.js');
    let plans;
    try {
      const release = findRelease(p.release);
      plans = planReleaseFamilies(release, selectReleaseSaes(release, p.layers));
    } catch (err) {
      throw new ApiError('bad_request', `${method}: ${(err as Error).message}`);
    }
    // Each family's name must be free and stay inside the workspace before a byte is fetched.
    for (const plan of plans) newEntry(ctx.workspace, method, 'saes', 'SAE family', plan.id);
    const out = ctx.workspace.dir('saes');
    const job = ctx.jobs.start({
      kind: 'sae-release',
      title: `download ${p.release}${p.layers ? ` (layers ${p.layers.join(', ')})` : ''} into ${plans.map((f) => f.id).join(', ')}`,
      pausable: false,
      run: async (job) => {
        const { importRelease } = await import('../../sae/releases/import.js');
        const imported = await importRelease(p.release, {
          layers: p.layers,
          out,
          signal: job.signal,
          onProgress: (done, total, file) => job.progress({ done, total, unit: 'bytes', phase: `downloading ${file}` }),
        });
        return {
          wrote: imported.families.map((f) => `family:${f.id}`),
          summary: { release: p.release, commit: imported.commit, families: imported.families.map((f) => f.id).join(', ') },
        };
      },
    });
    return { jobId: job.id };
  },

  'saes.evaluate': (params, ctx) => {
    const p = readParams<SaeEvaluateParams>(METHOD, params, {
      sae: { type: 'string', ...SAE_ID },
      model: { type: 'string', ...ENTRY_NAME },
      dataset: { type: 'string', ...DATASET_ID },
      tokens: { type: 'integer', min: 1, max: TRAIN_LIMITS.tokens },
      batch: { type: 'integer', optional: true, min: 1, max: 1024 },
    });
    const { workspace } = ctx;
    const plan: EvalPlan = {
      saeFolder: requireSae(workspace, METHOD, p.sae),
      modelFolder: requireModel(workspace, METHOD, p.model),
      corpus: corpusSpec(workspace, METHOD, p.dataset),
      params: p,
    };
    const job = ctx.jobs.start({
      kind: 'sae-eval',
      title: `evaluate ${p.sae} on ${p.model} (${p.tokens} tokens of ${p.dataset})`,
      pausable: false,
      run: (jobContext) => runEvaluation(plan, jobContext, ctx),
    });
    return { jobId: job.id };
  },
};
