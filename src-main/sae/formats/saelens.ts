// The SAELens folder, our interchange format: cfg.json + sae_weights.safetensors (+ sparsity.safetensors).
// Key names and shapes follow SAELens 6 exactly so a Python user can `SAE.load_from_disk(dir)`:
// W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc [d_sae], b_dec [d_in]; gated has b_gate, b_mag,
// r_mag instead of b_enc; jumprelu adds threshold [d_sae]. SAELens's state-dict loading is strict, so
// the weights file holds exactly those tensors and nothing else.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../../io/atomic.js';
import { openSafetensors, writeSafetensors, type SafetensorsFile, type TensorToWrite } from '../../io/safetensors.js';
import type { SaeBundle, SaeSpec, SaeWeights } from '../types.js';
import { buildSaeLensConfig, parseSaeLensConfig, savedArchitecture } from './saelens-config.js';
import { f32, readJsonFile, readTensor, writeFolderAtomic } from './tensor-io.js';
import { checkBundleFinite, validateBundle } from './validate.js';

export const SAELENS_CFG = 'cfg.json';
export const SAELENS_WEIGHTS = 'sae_weights.safetensors';
export const SAELENS_SPARSITY = 'sparsity.safetensors';

/**
 * SAELens applies `expected_average_only_in` only through a factor from its release list, never from
 * the folder, so a folder must carry the factor folded into the weights (as SAELens's own
 * fold_activation_norm_scaling_factor does): W_enc·f, W_dec/f, b_dec/f give the same latents and
 * reconstruction with normalize_activations "none".
 */
export function foldScale(weights: SaeWeights, factor: number): SaeWeights {
  const scaled = (values: Float32Array, by: number) => values.map((v) => v * by);
  return { ...weights, W_enc: scaled(weights.W_enc, factor), W_dec: scaled(weights.W_dec, 1 / factor), b_dec: scaled(weights.b_dec, 1 / factor) };
}

function weightTensors(spec: SaeSpec, w: SaeWeights): Record<string, TensorToWrite> {
  const { dIn, dSae } = spec;
  const tensors: Record<string, TensorToWrite> = { W_enc: f32([dIn, dSae], w.W_enc), W_dec: f32([dSae, dIn], w.W_dec), b_dec: f32([dIn], w.b_dec) };
  if (spec.architecture === 'gated') {
    tensors.b_gate = f32([dSae], w.b_gate!);
    tensors.b_mag = f32([dSae], w.b_mag!);
    tensors.r_mag = f32([dSae], w.r_mag!);
    return tensors;
  }
  tensors.b_enc = f32([dSae], w.b_enc);
  if (savedArchitecture(spec, w.threshold !== undefined) === 'jumprelu') tensors.threshold = f32([dSae], w.threshold!);
  return tensors;
}

/** Writes `bundle` as a SAELens folder at `dir`, atomically: on any error `dir` is left as it was. */
export function saveSaeLens(dir: string, bundle: SaeBundle): void {
  validateBundle(bundle);
  checkBundleFinite(bundle);
  const { spec } = bundle;
  const fold = spec.normalizeActivations === 'expected_average_only_in' && spec.normScalingFactor !== undefined ? spec.normScalingFactor : undefined;
  const weights = fold !== undefined ? foldScale(bundle.weights, fold) : bundle.weights;
  const cfg = buildSaeLensConfig(spec, { hasThreshold: weights.threshold !== undefined, foldedScale: fold });
  writeFolderAtomic(dir, (tmp) => {
    writeSafetensors(path.join(tmp, SAELENS_WEIGHTS), weightTensors(spec, weights));
    if (bundle.logSparsity) writeSafetensors(path.join(tmp, SAELENS_SPARSITY), { sparsity: f32([spec.dSae], bundle.logSparsity) });
    writeJsonAtomic(path.join(tmp, SAELENS_CFG), cfg);
  });
}

/** JumpReLU's threshold; SAELens before 6 trained and saved it as log_threshold. */
function readThreshold(file: SafetensorsFile, dSae: number): Float32Array {
  if (file.names().includes('log_threshold')) return readTensor(file, 'log_threshold', [dSae], 'jumprelu, d_sae').map(Math.exp);
  return readTensor(file, 'threshold', [dSae], 'jumprelu needs threshold [d_sae]');
}

/** BatchTopK's learned threshold, as an inference save ([d_sae]) or a training checkpoint (scalar). */
function readBatchTopKThreshold(file: SafetensorsFile, dSae: number): Float32Array | undefined {
  const names = file.names();
  if (names.includes('threshold')) return readTensor(file, 'threshold', [dSae], 'batchtopk threshold, d_sae');
  if (names.includes('topk_threshold')) return new Float32Array(dSae).fill(readTensor(file, 'topk_threshold', [], 'batchtopk scalar threshold')[0]);
  return undefined;
}

/**
 * SAELens's rescale_acts_by_decoder_norm scales pre-activations by ‖W_dec[i]‖ and latents back by
 * 1/‖W_dec[i]‖ before decoding; folding the norms into W_enc, b_enc and W_dec gives the same latents
 * and reconstruction with plain weights (SAELens topk_sae `_fold_norm_topk`).
 */
function foldDecoderNorms(spec: SaeSpec, w: SaeWeights): void {
  const { dIn, dSae } = spec;
  for (let i = 0; i < dSae; i++) {
    let sq = 0;
    for (let d = 0; d < dIn; d++) sq += w.W_dec[i * dIn + d] ** 2;
    const norm = Math.max(Math.sqrt(sq), 1e-8);
    for (let d = 0; d < dIn; d++) {
      w.W_dec[i * dIn + d] /= norm;
      w.W_enc[d * dSae + i] *= norm;
    }
    w.b_enc[i] *= norm;
  }
}

function readWeights(file: SafetensorsFile, spec: SaeSpec): SaeWeights {
  const { dIn, dSae } = spec;
  const shapes = 'd_in × d_sae from cfg.json';
  const weights: SaeWeights = {
    W_enc: readTensor(file, 'W_enc', [dIn, dSae], shapes),
    W_dec: readTensor(file, 'W_dec', [dSae, dIn], shapes),
    b_dec: readTensor(file, 'b_dec', [dIn], 'd_in from cfg.json'),
    // Gated SAEs have no b_enc; b_gate plays its part.
    b_enc: spec.architecture === 'gated' ? new Float32Array(0) : readTensor(file, 'b_enc', [dSae], 'd_sae from cfg.json'),
  };
  if (spec.architecture === 'gated') {
    for (const name of ['b_gate', 'b_mag', 'r_mag'] as const) weights[name] = readTensor(file, name, [dSae], 'gated SAE, d_sae from cfg.json');
  } else if (spec.architecture === 'jumprelu') {
    weights.threshold = readThreshold(file, dSae);
  } else if (spec.architecture === 'batchtopk') {
    const threshold = readBatchTopKThreshold(file, dSae);
    if (threshold) weights.threshold = threshold;
    else if (spec.k === undefined) throw new Error(`${file.path}: a batchtopk SAE needs either a threshold tensor or "k" in cfg.json`);
  }
  if (file.names().includes('scaling_factor')) {
    const factor = readTensor(file, 'scaling_factor', [dSae], 'SAELens 4 finetuning scaling factor');
    if (factor.some((v) => v !== 1)) throw new Error(`${file.path}: a finetuning "scaling_factor" other than 1 is not supported`);
  }
  return weights;
}

/** Reads a SAELens folder (SAELens 6 or an older cfg.json layout). */
export function loadSaeLens(dir: string): SaeBundle {
  const cfgFile = path.join(dir, SAELENS_CFG);
  if (!existsSync(cfgFile)) throw new Error(`${dir}: no ${SAELENS_CFG}; a SAELens folder holds ${SAELENS_CFG} and ${SAELENS_WEIGHTS}`);
  const { spec, rescaleActsByDecoderNorm } = parseSaeLensConfig(readJsonFile(cfgFile), cfgFile);
  const weightsFile = path.join(dir, SAELENS_WEIGHTS);
  if (!existsSync(weightsFile)) throw new Error(`${dir}: ${SAELENS_CFG} is there but ${SAELENS_WEIGHTS} is missing`);
  const weights = readWeights(openSafetensors(weightsFile), spec);
  if (rescaleActsByDecoderNorm) foldDecoderNorms(spec, weights);
  const bundle: SaeBundle = { spec, weights };
  const sparsityFile = path.join(dir, SAELENS_SPARSITY);
  if (existsSync(sparsityFile)) {
    const st = openSafetensors(sparsityFile);
    // log10 of 0 frequency is -Infinity in some releases; keep it, it means "never fired".
    const sparsity = st.getFloat32('sparsity');
    if (sparsity.length !== spec.dSae) throw new Error(`${sparsityFile}: "sparsity" has ${sparsity.length} values, expected d_sae = ${spec.dSae}`);
    const nan = sparsity.findIndex(Number.isNaN);
    if (nan >= 0) throw new Error(`${sparsityFile}: "sparsity" holds NaN at index ${nan}; expected log10 firing frequencies`);
    bundle.logSparsity = sparsity;
  }
  validateBundle(bundle);
  return bundle;
}
