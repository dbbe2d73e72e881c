import { describe, expect, it } from 'vitest';
import { buildWindows } from '../../../src-main/data/windows.js';
import { openCorpus } from '../../../src-main/data/corpora/index.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import type { SaeBundle } from '../../../src-main/sae/types.js';
import { evaluateSae, evaluateSaes, evalResultJson } from '../../../src-main/train/eval.js';
import { HOOK, tinyModel } from './fixture.js';

const dIn = 32;

/** A ReLU SAE with latents ±e_i: relu(x) − relu(−x) = x, so it reconstructs exactly. */
function exactSae(): SaeBundle {
  const dSae = 2 * dIn;
  const W_enc = new Float32Array(dIn * dSae);
  const W_dec = new Float32Array(dSae * dIn);
  for (let i = 0; i < dIn; i++) {
    W_enc[i * dSae + i] = 1;
    W_enc[i * dSae + dIn + i] = -1;
    W_dec[i * dIn + i] = 1;
    W_dec[(dIn + i) * dIn + i] = -1;
  }
  return {
    spec: { architecture: 'standard', dIn, dSae, normalizeActivations: 'none', applyBDecToInput: true, modelName: 'tiny', hookName: HOOK, contextSize: 16, prependBos: true },
    weights: { W_enc, W_dec, b_enc: new Float32Array(dSae), b_dec: new Float32Array(dIn) },
  };
}

/** Reconstructs zero everywhere: the same as zero ablation. */
function zeroSae(): SaeBundle {
  const e = exactSae();
  return { ...e, weights: { ...e.weights, W_dec: new Float32Array(e.weights.W_dec.length) } };
}

describe('evaluateSae', () => {
  it('scores an exact SAE as lossless and a zero SAE as the ablation, on shared held-out windows', async () => {
    const model = await tinyModel();
    const windows = await buildWindows(openCorpus('sotu'), await loadTokenizer(), { contextSize: 16, maxWindows: 12 });
    const [exact, zero] = await evaluateSaes({ model, saes: [exactSae(), zeroSae()], windows, tokens: 100, batch: 3 });
    expect(exact.tokens).toBe(7 * 15);
    expect(exact.evalFvu).toBeLessThan(1e-6);
    expect(exact.klDiv).toBeLessThan(1e-5);
    expect(exact.explainedVariance).toBeGreaterThan(1 - 1e-6);
    expect(Math.abs(exact.deltaLmLoss)).toBeLessThan(1e-4);
    expect(exact.ceLossScore).toBeCloseTo(1, 3);
    // Every coordinate is non-zero, so exactly one of its two latents fires: L0 = d_in.
    expect(exact.l0).toBe(dIn);
    expect(exact.ceClean).toBeGreaterThan(0);
    // The zero SAE leaves BOS alone, so it equals the keep-BOS ablation; SAELens's ablation zeroes
    // BOS too, a different intervention, so the SAELens score of the same SAE is not 0.
    expect(zero.ceSae).toBeCloseTo(zero.ceZeroAblationKeepBos, 5);
    expect(zero.ceLossScoreKeepBos).toBeCloseTo(0, 3);
    expect(Math.abs(zero.ceZeroAblation - zero.ceZeroAblationKeepBos)).toBeGreaterThan(1e-3);
    expect(zero.ceLossScore).toBeCloseTo((zero.ceZeroAblation - zero.ceSae) / (zero.ceZeroAblation - zero.ceClean), 6);
    expect(Math.abs(zero.ceLossScore)).toBeGreaterThan(1e-3);
    expect(zero.klDiv).toBeGreaterThan(1e-3);
    expect(zero.evalFvu).toBeGreaterThan(1);
    expect(zero.ceClean).toBe(exact.ceClean);
    model.dispose();
  });

  it('reads the held-out split of a dataset itself and reports the documented JSON keys', async () => {
    const model = await tinyModel();
    const result = await evaluateSae({ model, sae: exactSae(), dataset: 'sotu', tokens: 30, batch: 2 });
    expect(result.tokens).toBe(30);
    expect(Object.keys(evalResultJson(result))).toEqual([
      'd_sae', 'k', 'tokens', 'eval_fvu', 'explained_variance', 'l0', 'never_fired_frac', 'ce_clean', 'ce_sae', 'ce_zero_ablation', 'ce_zero_ablation_keep_bos',
      'delta_lm_loss', 'ce_loss_score', 'ce_loss_score_keep_bos', 'kl_div', 'definitions',
    ]);
    // Every figure, and both ablation conventions, are defined in the file itself.
    const definitions = evalResultJson(result).definitions as Record<string, string>;
    for (const key of ['eval_fvu', 'never_fired_frac', 'ce_zero_ablation', 'ce_zero_ablation_keep_bos', 'ce_loss_score', 'ce_loss_score_keep_bos', 'kl_div']) expect(definitions[key]).toBeTruthy();
    await expect(evaluateSae({ model, sae: exactSae(), tokens: 30, batch: 2 })).rejects.toThrow(/pass held-out `windows` or a `dataset`/);
    model.dispose();
  });
});
