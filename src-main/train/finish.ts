// The end of a training run: every size saved as a SAELens folder `out/<d_sae>/`, evaluated on the
// held-out windows (eval.json beside it), and the family recorded in `out/family.json`.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import type { Gpt2 } from '../model/gpt2.js';
import type { SaeExportMeta } from '../sae/api.js';
import { saveSaeLens } from '../sae/formats/saelens.js';
import { prefixBundle } from '../sae/matryoshka.js';
import type { NormalizationFit } from '../sae/normalize.js';
import type { HookName } from '../../src-shared/hooks.js';
import type { WindowSet } from '../data/windows.js';
import { totalSteps, type TrainRunConfig } from './config.js';
import { evaluateSaes, writeEvalJson, type EvalResult } from './eval.js';
import type { SpliceEvalRunner } from '../sae/splice-eval.js';
import { DEAD_DEFINITION, EVAL_FVU_DEFINITION, TRAIN_FVU_DEFINITION, type SaeRunResult } from './events.js';
import type { SaeTrainState } from '../sae/api.js';
import type { SaeFamily } from './family.js';
import { TOKENS_TO_CONVERGENCE_DEFINITION, tokensToConvergence } from './convergence.js';
import { HISTORY_POINTS } from './history.js';

export const FAMILY_FILE = 'family.json';

export interface FinishInput {
  config: TrainRunConfig;
  model: Pick<Gpt2, 'config' | 'lossPerToken' | 'run'>;
  /** Worker threads the evals' batches run on; this thread when absent. */
  pool?: SpliceEvalRunner;
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

/** The paper's dead window: 10M training tokens (Gao et al. §A.2), or the whole run if shorter. */
export const PAPER_DEAD_TOKENS = 10_000_000;

/** Latents that did not fire in the last min(10M, all) training tokens, as a fraction (DEAD_DEFINITION). */
export function paperDeadFraction(state: Pick<SaeTrainState, 'tokensSinceFired' | 'tokensSeen'>): number {
  const window = Math.min(PAPER_DEAD_TOKENS, state.tokensSeen);
  let dead = 0;
  for (const t of state.tokensSinceFired) if (t >= window) dead++;
  return dead / state.tokensSinceFired.length;
}

/** The firing counters of a Matryoshka SAE's first `dSae` latents (the whole state when it is that size). */
function prefixFiring(state: SaeTrainState, dSae: number): Pick<SaeTrainState, 'tokensSinceFired' | 'tokensSeen'> {
  return { tokensSinceFired: state.tokensSinceFired.subarray(0, dSae), tokensSeen: state.tokensSeen };
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
  const trained = await family.bundles(meta);
  const trainedStates = await family.states();
  const members = family.members;
  // A Matryoshka SAE's prefixes are saved as SAEs of their own (they encode exactly as the whole
  // dictionary does on their latents), so every family view treats them as sizes.
  const bundles = members.map((m) => (m.dSae === trained[m.sae].spec.dSae ? trained[m.sae] : prefixBundle(trained[m.sae], m.dSae)));
  const states = members.map((m) => prefixFiring(trainedStates[m.sae], m.dSae));
  const dirs = sizes.map((n) => join(config.out, String(n)));
  bundles.forEach((bundle, i) => saveSaeLens(dirs[i], bundle));
  log(`saved ${dirs.join(', ')}`);

  let evals: EvalResult[] | undefined;
  if (config.evalTokens > 0 && input.validation.length > 0) {
    log(`evaluating on ${config.evalTokens} held-out tokens`);
    evals = await evaluateSaes({
      model,
      pool: input.pool,
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

  const k = config.arch === 'relu' || config.arch === 'jumprelu' || config.arch === 'gated' ? null : config.k;
  const results: SaeRunResult[] = sizes.map((dSae, i) => {
    // A run resumed at its last step takes no step in this session: no final training batch to report.
    const metrics = family.last[members[i].sae]?.metrics;
    const last = metrics && dSae !== trained[members[i].sae].spec.dSae ? metrics.prefixes?.find((p) => p.dSae === dSae) : metrics;
    return {
      dSae,
      k,
      trainFvu: last ? last.fvu : null,
      evalFvu: evals ? evals[i].evalFvu : null,
      trainL0: last ? last.l0 : null,
      evalL0: evals ? evals[i].l0 : null,
      deadFrac: paperDeadFraction(states[i]),
      deltaLmLoss: evals ? evals[i].deltaLmLoss : null,
      ceLossScore: evals ? evals[i].ceLossScore : null,
      tokens,
      tokensPerS: input.tokensPerS,
      dir: dirs[i],
    };
  });
  const curves = family.curvePoints();
  writeJsonAtomic(join(config.out, FAMILY_FILE), {
    // Version 2 names train and eval figures apart (version 1 had one "nmse", eval or train).
    version: 2,
    model: meta.modelName,
    hook,
    dataset: config.dataset,
    architecture: config.arch,
    sizes,
    k,
    tokens,
    context: config.context,
    saes: sizes.map((n, i) => ({
      d_sae: n,
      path: String(n),
      train: { train_fvu: results[i].trainFvu, l0: results[i].trainL0, dead_frac: results[i].deadFrac },
      // null: the run had no eval tokens, so there is no eval figure (the training figures are above).
      eval: evals
        ? { eval_fvu: evals[i].evalFvu, l0: evals[i].l0, never_fired_frac: evals[i].neverFiredFrac, delta_lm_loss: evals[i].deltaLmLoss, ce_loss_score: evals[i].ceLossScore, kl_div: evals[i].klDiv }
        : null,
      history: { tokens: curves[i]!.tokens, train_fvu: curves[i]!.trainFvu, l0: curves[i]!.l0, dead_frac: curves[i]!.deadFrac },
      tokens_to_convergence: tokensToConvergence(curves[i]!.tokens, curves[i]!.trainFvu),
    })),
    definitions: {
      train_fvu: TRAIN_FVU_DEFINITION,
      eval_fvu: EVAL_FVU_DEFINITION,
      dead_frac: DEAD_DEFINITION,
      eval: 'see eval.json in each size folder for every eval figure and its definition',
      history: `training curve: at most ${HISTORY_POINTS} points, each the mean train FVU, L0 and dead fraction over an equal number of consecutive steps, at the training tokens seen after its last step; dead_frac is null for a Matryoshka prefix (its dead fraction is the whole dictionary's)`,
      tokens_to_convergence: TOKENS_TO_CONVERGENCE_DEFINITION,
    },
    config,
    created: new Date().toISOString(),
  });
  return results;
}
