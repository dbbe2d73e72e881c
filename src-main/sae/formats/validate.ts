// One place that decides whether an SAE bundle is internally consistent and fits a model: every
// format's loader and saver calls it, so a bad SAE is refused with the same words wherever it enters.
import { parseHookName } from '../../../src-shared/hooks.js';
import type { SaeBundle, SaeWeights } from '../types.js';
import { checkFinite } from './tensor-io.js';

/** The part of a GPT-2 config an SAE has to fit (Gpt2Config's field names). */
export interface ModelShape {
  nEmbd: number;
  nLayer: number;
  /** MLP width; GPT-2 uses 4 · nEmbd when unset. */
  nInner?: number;
}

const ARCHITECTURES = ['standard', 'topk', 'batchtopk', 'jumprelu', 'gated'];
const NORMALIZATIONS = ['none', 'layer_norm', 'expected_average_only_in', 'constant_norm_rescale'];

/** Width of the activation at `hookName` in a GPT-2 of this shape (throws for a hook that is no SAE site). */
export function hookWidth(hookName: string, model: ModelShape): number {
  const site = parseHookName(hookName, model.nLayer);
  if (site.kind === 'attn.hook_pattern') throw new Error(`hook "${hookName}" holds attention patterns [heads, pos, pos], not vectors an SAE can read`);
  if (site.kind === 'mlp.hook_post') return model.nInner ?? 4 * model.nEmbd;
  return model.nEmbd;
}

function checkLength(name: keyof SaeWeights, values: Float32Array | undefined, shape: number[], why: string): void {
  const expected = shape.reduce((a, b) => a * b, 1);
  if (!values) throw new Error(`SAE weights: missing ${name} [${shape.join(', ')}] (${why})`);
  if (values.length !== expected) throw new Error(`SAE weights: ${name} has ${values.length} values, expected [${shape.join(', ')}] = ${expected} (${why})`);
}

/**
 * Throws naming the first field that does not fit: spec values, tensor sizes against d_in and d_sae,
 * the extras each architecture needs and, given a model, the hook name and d_in against it.
 */
export function validateBundle(bundle: SaeBundle, model?: ModelShape): void {
  const { spec, weights: w } = bundle;
  if (!ARCHITECTURES.includes(spec.architecture)) throw new Error(`SAE architecture "${spec.architecture}" is not one of ${ARCHITECTURES.join(', ')}`);
  for (const [field, value] of [['dIn', spec.dIn], ['dSae', spec.dSae]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`SAE spec: ${field} must be a positive integer, got ${value}`);
  }
  if (!NORMALIZATIONS.includes(spec.normalizeActivations)) throw new Error(`SAE spec: normalizeActivations "${spec.normalizeActivations}" is not one of ${NORMALIZATIONS.join(', ')}`);
  if (spec.normScalingFactor !== undefined && !(Number.isFinite(spec.normScalingFactor) && spec.normScalingFactor > 0)) {
    throw new Error(`SAE spec: normScalingFactor must be a positive number, got ${spec.normScalingFactor}`);
  }
  const { dIn, dSae } = spec;
  if (spec.architecture === 'topk' && (spec.k === undefined || !Number.isInteger(spec.k) || spec.k < 1 || spec.k > dSae)) {
    throw new Error(`SAE spec: a topk SAE needs an integer k in 1..${dSae}, got ${spec.k}`);
  }
  if (spec.architecture === 'batchtopk' && w.threshold === undefined && spec.k === undefined) {
    throw new Error('SAE spec: a batchtopk SAE needs k or a threshold');
  }
  if (spec.matryoshkaPrefixes !== undefined && (spec.architecture !== 'batchtopk' || !spec.matryoshkaPrefixes.includes(dSae))) {
    throw new Error(`SAE spec: matryoshkaPrefixes [${spec.matryoshkaPrefixes.join(', ')}] needs architecture batchtopk (is ${spec.architecture}) and d_sae = ${dSae} among them`);
  }
  checkLength('W_enc', w.W_enc, [dIn, dSae], 'd_in × d_sae');
  checkLength('W_dec', w.W_dec, [dSae, dIn], 'd_sae × d_in');
  checkLength('b_dec', w.b_dec, [dIn], 'd_in');
  if (spec.architecture === 'gated') {
    for (const name of ['b_gate', 'b_mag', 'r_mag'] as const) checkLength(name, w[name], [dSae], 'gated SAE, d_sae');
  } else {
    checkLength('b_enc', w.b_enc, [dSae], 'd_sae');
  }
  if (spec.architecture === 'jumprelu') checkLength('threshold', w.threshold, [dSae], 'jumprelu SAE, d_sae');
  if (w.threshold !== undefined) checkLength('threshold', w.threshold, [dSae], 'd_sae');
  if (bundle.logSparsity && bundle.logSparsity.length !== dSae) {
    throw new Error(`SAE log sparsity has ${bundle.logSparsity.length} values, expected d_sae = ${dSae}`);
  }
  if (model) {
    let width: number;
    try {
      width = hookWidth(spec.hookName, model);
    } catch (err) {
      throw new Error(`SAE hook: ${(err as Error).message}`);
    }
    if (width !== dIn) {
      throw new Error(`SAE d_in is ${dIn} but hook "${spec.hookName}" of this model (d_model ${model.nEmbd}, ${model.nLayer} layers) has width ${width}`);
    }
  }
}

/** NaN or Infinity in any weight makes the SAE unusable; name the tensor and the index. */
export function checkBundleFinite(bundle: SaeBundle): void {
  for (const [name, values] of Object.entries(bundle.weights)) {
    if (values) checkFinite(values as Float32Array, `SAE weight ${name}`);
  }
}
