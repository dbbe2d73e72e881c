// Adam (Kingma & Ba 2015) applied in place to tf.Variables, with bias correction.
import { tf } from '../engine/backend.js';
import { replaceValue, variableOf } from './variables.js';

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** First and second moments of one parameter. */
export interface AdamSlot {
  m: tf.Variable;
  v: tf.Variable;
}

export function createAdamSlot(shape: number[], m?: Float32Array, v?: Float32Array): AdamSlot {
  const size = shape.reduce((a, b) => a * b, 1);
  return { m: variableOf(m ?? new Float32Array(size), shape), v: variableOf(v ?? new Float32Array(size), shape) };
}

/**
 * One Adam update of `param` with gradient `grad`; `t` is the 1-based step number. Each of m, v and
 * the parameter is finished, and its temporaries freed, before the next starts: in one scope a
 * [dSae, dIn] matrix's ~14 temporaries would be alive at once, 12 GB for 262,144 × 768 on a GPU.
 */
export function adamUpdate(param: tf.Variable, grad: tf.Tensor, slot: AdamSlot, hyper: AdamHyper, t: number): void {
  replaceValue(slot.m, tf.tidy(() => slot.m.mul(hyper.beta1).add(grad.mul(1 - hyper.beta1))));
  replaceValue(slot.v, tf.tidy(() => slot.v.mul(hyper.beta2).add(grad.square().mul(1 - hyper.beta2))));
  // p ← p − lr · m̂ / (√v̂ + ε) with m̂ = m/(1−β1^t), v̂ = v/(1−β2^t): PyTorch's Adam, which the reference recipes use.
  const c1 = 1 - hyper.beta1 ** t;
  const c2 = 1 - hyper.beta2 ** t;
  replaceValue(param, tf.tidy(() => param.sub(slot.m.div(c1).div(slot.v.div(c2).sqrt().add(hyper.eps)).mul(hyper.lr))));
}

export function disposeAdamSlot(slot: AdamSlot): void {
  slot.m.dispose();
  slot.v.dispose();
}
