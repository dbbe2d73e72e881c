// The evaluation kept with a model: `lm eval --json`'s figures in lm_eval.json in the model folder,
// which the app's lm.evaluate writes and the workspace listing reads. Kept apart from eval.ts so the
// listing reads it without loading the tensor engine.
import { writeJsonAtomic } from '../io/atomic.js';
import type { LmEvalResult } from './eval.js';

/** Named apart from the Hugging Face files of the folder, beside the run record; `lm export` does not copy it (other weights). */
export const LM_EVAL_FILE = 'lm_eval.json';

/** The figures as `lm eval --json` prints them and LM_EVAL_FILE keeps them (the model's path or id is the caller's). */
export function lmEvalJson(r: LmEvalResult): Record<string, unknown> {
  const { settings } = r;
  return {
    dataset: settings.dataset, holdout_every: settings.holdoutEvery, ctx: settings.ctx, positions: r.positions, train_tokens: r.trainTokens, weight_dtypes: r.weightDtypes,
    model_loss: r.modelLoss, bigram_loss: r.bigramLoss, unigram_loss: r.unigramLoss, model_minus_bigram: r.modelLoss - r.bigramLoss, lambda: r.lambda, lambda_loo_loss: r.lambdaLeaveOneOutLoss, settings_from: settings.source,
  };
}

/**
 * Writes the record `file` (LM_EVAL_FILE where the model keeps it) atomically: the figures with the
 * ids of the model and dataset they were measured on (the workspace's ids in the app, where its
 * paths mean nothing to the user).
 */
export function writeLmEvalRecord(file: string, r: LmEvalResult, subject: { model: string; dataset: string }): void {
  writeJsonAtomic(file, { ...lmEvalJson(r), ...subject, evaluated_at: new Date().toISOString() });
}
