// Adam (Kingma & Ba 2015) applied in place to tf.Variables, with bias correction.
import { tf } from '../engine/backend.js';
import { variableOf } from './variables.js';

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

/** One Adam update of `param` with gradient `grad`; `t` is the 1-based step number. */
export function adamUpdate(param: tf.Variable, grad: tf.Tensor, slot: AdamSlot, hyper: AdamHyper, t: number): void {
  tf.tidy(() => {
    const m = slot.m.mul(hyper.beta1).add(grad.mul(1 - hyper.beta1));
    const v = slot.v.mul(hyper.beta2).add(grad.square().mul(1 - hyper.beta2));
    slot.m.assign(m);
    slot.v.assign(v);
    // p ← p − lr · m̂ / (√v̂ + ε) with m̂ = m/(1−β1^t), v̂ = v/(1−β2^t): PyTorch's Adam, which the reference recipes use.
    const c1 = 1 - hyper.beta1 ** t;
    const c2 = 1 - hyper.beta2 ** t;
    const update = m.div(c1).div(v.div(c2).sqrt().add(hyper.eps)).mul(hyper.lr);
    param.assign(param.sub(update));
  });
}

export function disposeAdamSlot(slot: AdamSlot): void {
  slot.m.dispose();
  slot.v.dispose();
}
