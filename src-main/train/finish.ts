// The end of a training run: every size saved as a SAELens folder `out/<d_sae>/`, evaluated on the
// held-out windows (eval.json beside it), and the family recorded in `out/family.json`.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import type { Gpt2 } from '../model/gpt2.js';
import type { SaeExportMeta } from '../sae/api.js';
import { saveSaeLens } from '../sae/formats/saelens.js';
import type { NormalizationFit } from '../sae/normalize.js';
import type { HookName } from '../../src-shared/hooks.js';
import type { WindowSet } from '../data/windows.js';
import { totalSteps, type TrainRunConfig } from './config.js';
import { evaluateSaes, writeEvalJson, type EvalResult } from './eval.js';
import { NMSE_DEFINITION, type SaeRunResult } from './events.js';
import type { SaeFamily } from './family.js';

export const FAMILY_FILE = 'family.json';

export interface FinishInput {
  config: TrainRunConfig;
  model: Pick<Gpt2, 'config' | 'lossPerToken'>;
  family: SaeFamily;
  hook: HookName;
  normalization: NormalizationFit;
  windows: WindowSet;
  validation: Uint32Array;
  /** Training throughput over all sessions. */
  tokensPerS: number;
  log: (message: string, level?: 'info' | 'warn') => void;
  signal?: AbortSignal;
}

/** Windows per evaluation pass: keeps the [windows · context, vocab] logits near 64 MB. */
function evalBatchWindows(contextSize: number, vocabSize: number): number {
  return Math.max(1, Math.floor(16_000_000 / (contextSize * vocabSize)));
}

/** SAELens model_name: a Hub name as given, a local folder by its name. */
function modelLabel(spec: string): string {
  return existsSync(spec) ? basename(spec.replace(/[/\\]+$/, '')) : spec;
}

export async function finishFamily(input: FinishInput): Promise<SaeRunResult[]> {
  const { config, model, family, hook, normalization, log } = input;
  const sizes = family.sizes;
  const tokens = totalSteps(config) * config.batch;
  const meta: SaeExportMeta = {
    modelName: modelLabel(config.model),
    hookName: hook,
    contextSize: config.context,
    prependBos: true,
    datasetPath: config.dataset,
    ...(normalization.scalingFactor !== undefined ? { normScalingFactor: normalization.scalingFactor } : {}),
  };
  const bundles = await family.bundles(meta);
  const states = await family.states();
  const dirs = sizes.map((n) => join(config.out, String(n)));
  bundles.forEach((bundle, i) => saveSaeLens(dirs[i], bundle));
  log(`saved ${dirs.join(', ')}`);

  let evals: EvalResult[] | undefined;
  if (config.evalTokens > 0 && input.validation.length > 0) {
    log(`evaluating on ${config.evalTokens} held-out tokens`);
    evals = await evaluateSaes({
      model,
      saes: bundles,
      windows: input.windows,
      indices: input.validation,
      tokens: config.evalTokens,
      batch: evalBatchWindows(config.context, model.config.vocabSize),
      signal: input.signal,
    });
    evals.forEach((e, i) => writeEvalJson(dirs[i], e));
  } else {
    log('no evals: evalTokens is 0 or the corpus left no held-out windows', 'warn');
  }

  const k = config.arch === 'relu' ? null : config.k;
  const results: SaeRunResult[] = sizes.map((dSae, i) => {
    const state = states[i];
    let dead = 0;
    for (const t of state.tokensSinceFired) if (t >= state.config.deadTokensWindow) dead++;
    const last = family.last[i];
    return {
      dSae,
      k,
      nmse: evals ? evals[i].nmse : (last?.metrics.nmse ?? NaN),
      l0: evals ? evals[i].l0 : (last?.metrics.l0 ?? NaN),
      deadFrac: dead / dSae,
      deltaLmLoss: evals ? evals[i].deltaLmLoss : null,
      tokens,
      tokensPerS: input.tokensPerS,
      dir: dirs[i],
    };
  });
  writeJsonAtomic(join(config.out, FAMILY_FILE), {
    version: 1,
    model: meta.modelName,
    hook,
    dataset: config.dataset,
    architecture: config.arch,
    sizes,
    k,
    tokens,
    context: config.context,
    saes: sizes.map((n, i) => ({ d_sae: n, path: String(n), eval: evals ? { nmse: evals[i].nmse, l0: evals[i].l0, delta_lm_loss: evals[i].deltaLmLoss } : null })),
    nmse_definition: NMSE_DEFINITION,
    config,
    created: new Date().toISOString(),
  });
  return results;
}
