// The parameter update of every SAE here: Adam, with two options the SAE step needs.
//  - gradTransposed: the sparse backward produces W_enc's gradient as [dSae, dIn] rows; the update
//    reads it transposed instead of materialising a transpose (1 s per step at 16384 × 768 on wasm).
//  - unitRows: decoder rows stay unit-norm (Gao et al. 2024; OpenAI's
//    unit_norm_decoder_grad_adjustment_ and unit_norm_decoder_): remove the gradient component
//    parallel to each row, step, renormalise.
// On wasm this is one fused kernel (engine/kernels.ts SaeAdam); elsewhere plain tfjs ops.
import { tf } from '../engine/backend.js';
import { SAE_KERNELS, type SaeAdamAttrs } from '../engine/kernels.js';
import { adamUpdate, type AdamHyper, type AdamSlot } from './adam.js';
import type { SaeTrainConfig } from './config.js';
import { replaceValue } from './variables.js';

/** Adam's learning rate at step t (1-based): linear warm-up over config.lrWarmupSteps, then config.lr. */
export function learningRate(config: SaeTrainConfig, t: number): number {
  return config.lrWarmupSteps > 0 ? config.lr * Math.min(1, t / config.lrWarmupSteps) : config.lr;
}

/**
 * The factor a step's gradients are multiplied by so their global norm √sqNorm is at most
 * config.gradClipNorm (torch.nn.utils.clip_grad_norm_); 1 when under it or when clipping is off.
 */
export function clipFactor(config: SaeTrainConfig, sqNorm: number): number {
  const norm = Math.sqrt(sqNorm);
  return config.gradClipNorm > 0 && norm > config.gradClipNorm ? config.gradClipNorm / norm : 1;
}

/** clipFactor of a squared norm still on the device, as a scalar tensor (1 when clipping is off). */
export function clipFactorOnDevice(config: SaeTrainConfig, sqNorm: tf.Scalar): tf.Scalar {
  // clip / 0 is +∞, so a zero gradient keeps the factor 1, as in clipFactor.
  return tf.tidy(() => (config.gradClipNorm > 0 ? tf.minimum(1, tf.scalar(config.gradClipNorm).div(sqNorm.sqrt())) : tf.scalar(1)));
}

export interface UpdateOptions {
  gradTransposed?: boolean;
  unitRows?: boolean;
}

export function applyAdam(param: tf.Variable, grad: tf.Tensor, slot: AdamSlot, hyper: AdamHyper, t: number, options: UpdateOptions = {}): void {
  if (tf.getKernel(SAE_KERNELS.adam, tf.getBackend())) {
    const attrs: SaeAdamAttrs = { ...hyper, step: t, gradTransposed: !!options.gradTransposed, unitRows: !!options.unitRows };
    const [p, m, v] = tf.engine().runKernel(SAE_KERNELS.adam, { param, grad, m: slot.m, v: slot.v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    replaceValue(param, p);
    replaceValue(slot.m, m);
    replaceValue(slot.v, v);
    return;
  }
  applyAdamComposite(param, grad, slot, hyper, t, options);
}

export function applyAdamComposite(param: tf.Variable, grad: tf.Tensor, slot: AdamSlot, hyper: AdamHyper, t: number, options: UpdateOptions = {}): void {
  const direction = tf.tidy(() => {
    const g = options.gradTransposed ? tf.transpose(grad) : grad;
    return options.unitRows ? removeParallelComponent(g as tf.Tensor2D, param as tf.Tensor2D) : g.clone();
  });
  adamUpdate(param, direction, slot, hyper, t);
  direction.dispose();
  if (options.unitRows) replaceValue(param, tf.tidy(() => unitRows(param as tf.Tensor2D)));
}

/** g − (g·w) w per row: a step along it keeps a unit row's norm to first order. */
export function removeParallelComponent(grad: tf.Tensor2D, rows: tf.Tensor2D): tf.Tensor2D {
  const along = grad.mul(rows).sum(1, true); // [rows, 1]
  return grad.sub(along.mul(rows)); // [rows, cols]
}

export function unitRows(rows: tf.Tensor2D): tf.Tensor2D {
  return rows.div(rows.norm('euclidean', 1, true).maximum(1e-12)); // [rows, cols]
}
