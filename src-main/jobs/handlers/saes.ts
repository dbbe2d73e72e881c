// saes.evaluate: the CLI's `sae eval --save` (src-main/train/eval.ts) on a workspace SAE, model and
// dataset, as a cancellable job. The figures go into the SAE's eval.json with the model and dataset
// ids they were measured on, and workspace.list shows them with the SAE.
// saes.import: the CLI's `sae import` (format detection, validation, SAELens output) on an upload or a
// Hub folder, as a job; every SAE found becomes saes/<family>/<d_sae>/, so several sizes at one site
// are one family and a single SAE a family of one.
// saes.releases / saes.importRelease: the public GPT-2 small releases by name, downloaded into the
// Hugging Face cache and written as families under saes/, as the CLI's `sae import --release` does.
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { ImportReleaseParams, JobResult, ReleaseInfo, SaeEvaluateParams, SaeImportParams } from '../../../src-shared/api.js';
import type { SaeRelease } from '../../sae/releases/registry.js';
import type { SaeBundle } from '../../sae/types.js';
import type { DomainHandlers, HandlerContext } from '../handler.js';
import type { JobContext } from '../manager.js';
import { DATASET_ID, ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { TRAIN_LIMITS } from '../../train/limits.js';
import { removeUpload, requireUpload } from '../workspace/uploads.js';
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

const IMPORT = 'saes.import';
const HOOK_NAME = { pattern: /^(hook_embed|hook_pos_embed|ln_final\.hook_normalized|blocks\.\d+\.[\w.]+)$/, patternHint: 'a TransformerLens hook name like "blocks.8.hook_resid_post"' };

interface ImportPlan {
  params: SaeImportParams;
  /** The upload's folder, or null for a Hub import. */
  upload: string | null;
  family: string;
}

/** All SAEs of a family share a site and differ in size; names what differs when they do not. */
function checkOneSite(bundles: Array<{ bundle: SaeBundle; from: string }>): void {
  const [first] = bundles;
  const sizes = new Map<number, string>();
  for (const { bundle, from } of bundles) {
    const { spec } = bundle;
    if (spec.hookName !== first!.bundle.spec.hookName || spec.dIn !== first!.bundle.spec.dIn) {
      throw new Error(`${from} reads ${spec.hookName} (d_in ${spec.dIn}) but ${first!.from} reads ${first!.bundle.spec.hookName} (d_in ${first!.bundle.spec.dIn}); a family is one site, so import them as separate families`);
    }
    const twin = sizes.get(spec.dSae);
    if (twin) throw new Error(`${from} and ${twin} both have d_sae ${spec.dSae}; a family holds one SAE per size, so import them as separate families`);
    sizes.set(spec.dSae, from);
  }
}

async function runImport(plan: ImportPlan, job: JobContext, ctx: HandlerContext): Promise<JobResult> {
  const { params } = plan;
  try {
    const { loadDetected } = await import('../../sae/formats/detect.js');
    const { findSaes } = await import('../../sae/formats/release.js');
    const { validateBundle } = await import('../../sae/formats/validate.js');
    const { saveSaeLens } = await import('../../sae/formats/saelens.js');
    const { makeTempSiblingDir, writeJsonAtomic, fsyncDir } = await import('../../io/atomic.js');
    let root: string;
    if (plan.upload !== null) root = plan.upload;
    else {
      const { fetchHubSae, parseHubSaeRef } = await import('../../sae/formats/hub.js');
      job.progress({ done: 0, total: 1, unit: 'bytes', phase: `downloading ${params.hub}` });
      root = await fetchHubSae(parseHubSaeRef(params.hub!)!, (done, total, file) => job.progress({ done, total, unit: 'bytes', phase: `downloading ${file}` }));
    }
    const source = plan.upload !== null ? `upload ${params.upload}` : `Hub ${params.hub}`;
    const found = findSaes(root, source);
    const bundles = found.map((detected, i) => {
      job.progress({ done: i, total: found.length, unit: 'SAEs', phase: `reading ${detected.format}` });
      const from = path.relative(root, detected.path) || path.basename(detected.path);
      const bundle = loadDetected(detected, { hook: params.hook, k: params.k, onWarning: (message) => job.log('warn', message) });
      if (params.hook) bundle.spec.hookName = params.hook;
      try {
        validateBundle(bundle);
      } catch (err) {
        throw new Error(`${source}: ${from}: ${(err as Error).message}`);
      }
      return { bundle, from, format: detected.format };
    });
    checkOneSite(bundles);
    const target = ctx.workspace.family(plan.family);
    const staging = makeTempSiblingDir(target);
    try {
      for (const [i, { bundle }] of bundles.entries()) {
        job.progress({ done: i, total: bundles.length, unit: 'SAEs', phase: `writing d_sae ${bundle.spec.dSae}` });
        saveSaeLens(path.join(staging, String(bundle.spec.dSae)), bundle);
      }
      // The family record harvest, the family tree and the family page read (as a release import or
      // training writes it): without it an imported family could be listed but never harvested.
      const first = bundles[0]!.bundle.spec;
      const sizes = bundles.map(({ bundle }) => bundle.spec.dSae).sort((a, b) => a - b);
      writeJsonAtomic(path.join(staging, 'family.json'), {
        version: 2,
        model: first.modelName,
        hook: first.hookName,
        dataset: first.datasetPath ?? null,
        architecture: first.architecture,
        sizes,
        k: first.k ?? null,
        // Not trained here: no token count, and no training or eval figures until the SAEs are evaluated.
        tokens: null,
        context: first.contextSize,
        saes: sizes.map((dSae) => ({ d_sae: dSae, path: String(dSae), train: null, eval: null })),
      });
      writeJsonAtomic(path.join(staging, 'provenance.json'), {
        source: `imported from ${source}`,
        members: bundles.map(({ from, format, bundle }) => ({ from, format, d_sae: bundle.spec.dSae })),
        importedAt: new Date().toISOString(),
      });
      // The name was free when the request was accepted; a rename would replace an empty folder made since.
      newEntry(ctx.workspace, IMPORT, 'saes', 'SAE family', plan.family);
      renameSync(staging, target);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    fsyncDir(path.dirname(target));
    const sizes = bundles.map(({ bundle }) => bundle.spec.dSae).sort((a, b) => a - b);
    job.progress({ done: bundles.length, total: bundles.length, unit: 'SAEs', phase: 'imported' });
    return { wrote: sizes.map((size) => `sae:${plan.family}/${size}`), summary: { sizes: sizes.join(','), hook: bundles[0]!.bundle.spec.hookName, formats: [...new Set(bundles.map((b) => b.format))].join(',') } };
  } finally {
    if (plan.upload !== null) removeUpload(plan.upload);
  }
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

  'saes.import': async (params, ctx) => {
    const p = readParams<SaeImportParams>(IMPORT, params, {
      name: { type: 'string', ...ENTRY_NAME },
      upload: { type: 'string', optional: true, ...ENTRY_NAME },
      hub: { type: 'string', optional: true, maxLength: 300, pattern: /^(hf:\/\/)?[\w.-]+\/[\w.-]+(\/[\w.-]+)*$/, patternHint: 'a Hub SAE folder like "org/repo" or "org/repo/blocks.8.hook_resid_pre"' },
      hook: { type: 'string', optional: true, ...HOOK_NAME },
      k: { type: 'integer', optional: true, min: 1, max: TRAIN_LIMITS.k },
    });
    if ((p.upload === undefined) === (p.hub === undefined)) throw new ApiError('bad_request', `${IMPORT}: give exactly one of "upload" (an upload id) and "hub" (a Hub SAE folder)`);
    if (p.hub !== undefined) {
      const { parseHubSaeRef } = await import('../../sae/formats/hub.js');
      if (!parseHubSaeRef(p.hub) || p.hub.split('/').includes('..')) throw new ApiError('bad_request', `${IMPORT}: "hub" must be a Hub SAE folder like "org/repo/blocks.8.hook_resid_pre", got ${JSON.stringify(p.hub)}`);
    }
    newEntry(ctx.workspace, IMPORT, 'saes', 'SAE family', p.name);
    const plan: ImportPlan = { params: p, upload: p.upload === undefined ? null : requireUpload(ctx.workspace, IMPORT, p.upload), family: p.name };
    const job = ctx.jobs.start({
      kind: 'sae-import',
      title: `import ${p.upload !== undefined ? 'an upload' : p.hub} as SAE family ${p.name}`,
      pausable: false,
      run: (jobContext) => runImport(plan, jobContext, ctx),
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
