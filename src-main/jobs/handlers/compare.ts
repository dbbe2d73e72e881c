// compare.start: two workspace SAEs at one site matched latent to latent (features/sae-compare.ts) as
// a cancellable job; the result goes to comparisons/<job id>.json, written atomically, so a finished
// comparison outlives the compute process. compare.get reads one back, compare.list lists them.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { CompareParams, ComparisonIdParams, ComparisonSummary, JobResult, SaeComparison } from '../../../src-shared/api.js';
import { readRegularFile } from '../../io/regular-file.js';
import { TRAIN_LIMITS } from '../../train/limits.js';
import type { DomainHandlers, HandlerContext } from '../handler.js';
import type { JobContext } from '../manager.js';
import { DATASET_ID, ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { scanSae } from '../workspace/scan.js';
import { corpusSpec } from './datasets.js';
import { requireModel, requireSae } from './lookup.js';

const START = 'compare.start';
const GET = 'compare.get';
const FILE = /^([A-Za-z0-9][A-Za-z0-9._-]{0,99})\.json$/;

interface ComparePlan {
  params: CompareParams;
  saeA: string;
  saeB: string;
  modelA: string;
  modelB: string;
  corpus: string;
}

function comparisonFile(ctx: HandlerContext, id: string): string {
  return path.join(ctx.workspace.dir('comparisons'), `${id}.json`);
}

async function runComparison(plan: ComparePlan, id: string, job: JobContext, ctx: HandlerContext): Promise<JobResult> {
  const { params } = plan;
  job.progress({ done: 0, total: params.tokens, unit: 'tokens', phase: 'loading models and SAEs' });
  const held: Array<() => void> = [];
  const runners: Array<{ dispose(): void }> = [];
  try {
    const acquire = async (folder: string) => {
      const { model, release } = await ctx.resources.acquireModel(folder);
      held.push(release);
      return model;
    };
    const gpt2A = await acquire(plan.modelA);
    const gpt2B = await acquire(plan.modelB);
    const { importSaeDetailed } = await import('../../sae/formats/detect.js');
    const { createSaeRunner } = await import('../../sae/inference.js');
    const { compareSaes } = await import('../../features/sae-compare.js');
    // Runners of the job's own: the shared cache may drop an SAE while the job still encodes with it.
    const side = async (sae: string, folder: string, model: string, gpt2: typeof gpt2A) => {
      // The CLI's loader: it checks the SAE fits its model (d_in, hook) and names the mismatch if not.
      const { bundle } = await importSaeDetailed(folder, { model: gpt2.config });
      const runner = createSaeRunner(bundle);
      runners.push(runner);
      return { sae, model, bundle, runner, gpt2 };
    };
    const a = await side(params.a, plan.saeA, params.model, gpt2A);
    const b = await side(params.b, plan.saeB, params.modelB ?? params.model, gpt2B);
    const result = await compareSaes(a, b, {
      corpus: plan.corpus,
      dataset: params.dataset,
      tokenizer: await ctx.resources.tokenizer(plan.modelA),
      tokens: params.tokens,
      threshold: params.threshold,
      signal: job.signal,
      onProgress: (phase, done, total) => job.progress({ done, total, unit: phase === 'correlating activations' ? 'tokens' : 'steps', phase }),
    });
    const comparison: SaeComparison = { id, createdAt: new Date().toISOString(), ...result };
    const { writeJsonAtomic } = await import('../../io/atomic.js');
    writeJsonAtomic(comparisonFile(ctx, id), comparison);
    return {
      wrote: [`comparison:${id}`],
      summary: {
        comparison: id,
        method: comparison.method,
        matched: comparison.matched,
        share_matched_a: comparison.shareMatchedA,
        share_matched_b: comparison.shareMatchedB,
        median_correlation: comparison.medianCorrelation ?? 'none matched',
        tokens: comparison.tokens,
      },
    };
  } finally {
    for (const r of runners) r.dispose();
    for (const release of held) release();
  }
}

/** A stored comparison; `file` names what is wrong when it is not one. */
function readComparison(file: string): SaeComparison {
  let value: Partial<SaeComparison>;
  try {
    value = JSON.parse(readRegularFile(file)) as Partial<SaeComparison>;
  } catch (err) {
    throw new Error(`${file}: not a readable comparison (${(err as Error).message}); run the comparison again`);
  }
  if (typeof value.id !== 'string' || typeof value.a?.sae !== 'string' || typeof value.b?.sae !== 'string' || !Array.isArray(value.pairs)) {
    throw new Error(`${file}: not a comparison (expected "id", "a", "b" and "pairs"); run the comparison again`);
  }
  return value as SaeComparison;
}

function summaryOf(c: SaeComparison): ComparisonSummary {
  const { id, createdAt, a, b, sameModel, method, hungarianMax, threshold, dataset, tokens, matched, shareMatchedA, shareMatchedB, medianCorrelation } = c;
  return { id, createdAt, a, b, sameModel, method, hungarianMax, threshold, dataset, tokens, matched, shareMatchedA, shareMatchedB, medianCorrelation };
}

export const compareHandlers: DomainHandlers<'compare'> = {
  'compare.start': async (params, ctx) => {
    const p = readParams<CompareParams>(START, params, {
      a: { type: 'string', ...SAE_ID },
      b: { type: 'string', ...SAE_ID },
      model: { type: 'string', ...ENTRY_NAME },
      modelB: { type: 'string', optional: true, ...ENTRY_NAME },
      dataset: { type: 'string', ...DATASET_ID },
      tokens: { type: 'integer', min: 1, max: TRAIN_LIMITS.tokens },
      threshold: { type: 'number', optional: true, min: 0, max: 1 },
    });
    const { workspace } = ctx;
    const plan: ComparePlan = {
      params: p,
      saeA: requireSae(workspace, START, p.a),
      saeB: requireSae(workspace, START, p.b),
      modelA: requireModel(workspace, START, p.model),
      modelB: requireModel(workspace, START, p.modelB ?? p.model),
      corpus: corpusSpec(workspace, START, p.dataset),
    };
    const { checkSameSite } = await import('../../features/sae-compare.js');
    try {
      const site = (id: string) => {
        const entry = scanSae(workspace, id, null);
        return { sae: id, model: '', dSae: entry.dSae, architecture: entry.architecture, hookName: entry.hookName, dIn: entry.dIn };
      };
      checkSameSite(site(p.a), site(p.b));
    } catch (err) {
      throw new ApiError('bad_request', `${START}: ${(err as Error).message}`);
    }
    const job = ctx.jobs.start({
      kind: 'sae-compare',
      title: `compare ${p.a} with ${p.b} (${p.tokens} tokens of ${p.dataset})`,
      pausable: false,
      // The job's id names the stored result; the job runs after start() has returned it.
      run: (jobContext) => runComparison(plan, job.id, jobContext, ctx),
    });
    return { jobId: job.id };
  },

  'compare.get': (params, ctx) => {
    const p = readParams<ComparisonIdParams>(GET, params, { id: { type: 'string', ...ENTRY_NAME } });
    const entry = ctx.workspace.entry(GET, 'comparisons', `${p.id}.json`);
    if (entry.state !== 'present') {
      const have = readdirSync(ctx.workspace.dir('comparisons')).flatMap((name) => FILE.exec(name)?.[1] ?? []);
      throw new ApiError('not_found', `${GET}: no comparison "${p.id}" in ${ctx.workspace.dir('comparisons')} (have: ${have.join(', ') || 'none'}); compare.start makes one`);
    }
    try {
      return readComparison(entry.path);
    } catch (err) {
      throw new ApiError('internal', `${GET}: ${(err as Error).message}`);
    }
  },

  'compare.list': (params, ctx) => {
    readParams<Record<string, never>>('compare.list', params, {});
    const dir = ctx.workspace.dir('comparisons');
    const summaries: ComparisonSummary[] = [];
    for (const name of readdirSync(dir)) {
      const id = FILE.exec(name)?.[1];
      if (id === undefined || ctx.workspace.entry('compare.list', 'comparisons', name).state !== 'present') continue;
      try {
        summaries.push(summaryOf(readComparison(path.join(dir, name))));
      } catch (err) {
        ctx.warn(`compare.list: skipped ${(err as Error).message}`);
      }
    }
    return summaries.sort((x, y) => y.createdAt.localeCompare(x.createdAt) || x.id.localeCompare(y.id));
  },
};
