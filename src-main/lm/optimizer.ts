// AdamW (Loshchilov & Hutter 2019) on the model's variables: gradients clipped to a global norm
// first, then PyTorch's AdamW order — decoupled decay p ← p·(1 − lr·λ) on the linear layers' weights
// only, then the bias-corrected Adam step of sae/adam.ts.
import { tf } from '../engine/backend.js';
import { adamUpdate, createAdamSlot, disposeAdamSlot, type AdamSlot } from '../sae/adam.js';
import type { HostTensors } from './params.js';
import { isDecayed } from './params.js';

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 0 turns clipping off. */
  gradClip: number;
}

export class AdamW {
  private constructor(private readonly slots: Map<string, AdamSlot>) {}

  /** Zero moments for every parameter, or the moments a checkpoint stored (`m.<name>`, `v.<name>`). */
  static create(params: Map<string, tf.Variable>, stored?: HostTensors): AdamW {
    const slots = new Map<string, AdamSlot>();
    for (const [name, p] of params) slots.set(name, createAdamSlot(p.shape, stored?.get(`m.${name}`)?.data, stored?.get(`v.${name}`)?.data));
    return new AdamW(slots);
  }

  /**
   * One update of every parameter from `grads` (by parameter name); `t` is the 1-based step.
   * Returns the global gradient norm before clipping.
   */
  step(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, hyper: AdamWHyper, t: number): number {
    const normTensor = tf.tidy(() => tf.addN([...grads.values()].map((g) => g.square().sum())).sqrt()); // []
    const norm = normTensor.dataSync()[0];
    normTensor.dispose();
    const scale = hyper.gradClip > 0 && norm > hyper.gradClip ? hyper.gradClip / norm : 1;
    for (const [name, p] of params) {
      const grad = grads.get(name);
      if (!grad) throw new Error(`AdamW: no gradient for parameter ${name}`);
      if (hyper.weightDecay > 0 && isDecayed(name)) tf.tidy(() => p.assign(p.mul(1 - hyper.lr * hyper.weightDecay)));
      const clipped = scale === 1 ? grad : grad.mul(scale);
      adamUpdate(p, clipped, this.slots.get(name)!, hyper, t);
      if (clipped !== grad) clipped.dispose();
    }
    return norm;
  }

  /** The moments as host tensors named `m.<param>` and `v.<param>`, for a checkpoint. */
  state(): HostTensors {
    const out: HostTensors = new Map();
    for (const [name, slot] of this.slots) {
      out.set(`m.${name}`, { shape: slot.m.shape, data: slot.m.dataSync() as Float32Array });
      out.set(`v.${name}`, { shape: slot.v.shape, data: slot.v.dataSync() as Float32Array });
    }
    return out;
  }

  dispose(): void {
    for (const slot of this.slots.values()) disposeAdamSlot(slot);
  }
}
