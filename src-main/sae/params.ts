// Trainable parameters of a contiguous range of latents (all of them, or one worker's shard) with
// their Adam moments, and the decoder constraint of Gao et al.: unit-norm decoder rows, and the
// gradient component parallel to each row removed before the step.
import { tf } from '../engine/backend.js';
import { createAdamSlot, disposeAdamSlot, type AdamHyper, type AdamSlot } from './adam.js';
import { applyAdam } from './optimizer.js';
import type { SaeParamArrays } from './api.js';
import { replaceValue, variableOf } from './variables.js';

/** Host copy of a latent range: W_enc [dIn, count], b_enc [count], W_dec [count, dIn]. */
export interface LatentSlice {
  W_enc: Float32Array;
  b_enc: Float32Array;
  W_dec: Float32Array;
}

export interface LatentSliceState {
  params: LatentSlice;
  adamM: LatentSlice;
  adamV: LatentSlice;
}

/** W_enc's gradient comes as W_enc [dIn, count] (dense backward) or transposed as W_encT [count, dIn] (sparse backward). */
export type LatentGrads = ({ W_enc: tf.Tensor2D; W_encT?: never } | { W_encT: tf.Tensor2D; W_enc?: never }) & {
  b_enc: tf.Tensor1D; // [count]
  W_dec: tf.Tensor2D; // [count, dIn]
};

type LatentKey = keyof LatentSlice;
const LATENT_KEYS: readonly LatentKey[] = ['W_enc', 'b_enc', 'W_dec'];

export class LatentParams {
  readonly W_enc: tf.Variable<tf.Rank.R2>; // [dIn, count]
  readonly b_enc: tf.Variable<tf.Rank.R1>; // [count]
  readonly W_dec: tf.Variable<tf.Rank.R2>; // [count, dIn]
  private readonly slots: Record<LatentKey, AdamSlot>;

  /**
   * `unitDecoderRows`: Gao et al.'s constraint (the top-k family); false leaves the decoder free, as
   * the April 2024 ReLU-L1 recipe does (its L1 term weighs each latent by its decoder norm instead).
   */
  constructor(readonly dIn: number, readonly count: number, state: LatentSliceState, private readonly unitDecoderRows = true) {
    const shapes = this.shapes();
    this.W_enc = variableOf(state.params.W_enc, shapes.W_enc) as tf.Variable<tf.Rank.R2>;
    this.b_enc = variableOf(state.params.b_enc, shapes.b_enc) as tf.Variable<tf.Rank.R1>;
    this.W_dec = variableOf(state.params.W_dec, shapes.W_dec) as tf.Variable<tf.Rank.R2>;
    this.slots = {
      W_enc: createAdamSlot(shapes.W_enc, state.adamM.W_enc, state.adamV.W_enc),
      b_enc: createAdamSlot(shapes.b_enc, state.adamM.b_enc, state.adamV.b_enc),
      W_dec: createAdamSlot(shapes.W_dec, state.adamM.W_dec, state.adamV.W_dec),
    };
  }

  private shapes(): Record<LatentKey, number[]> {
    return { W_enc: [this.dIn, this.count], b_enc: [this.count], W_dec: [this.count, this.dIn] };
  }

  /**
   * Squared L2 norm of the gradients as the step will use them: with unit decoder rows w, the
   * decoder's after removing each row's parallel component, ‖g‖² − Σ_rows (g·w)².
   */
  squaredNorm(grads: LatentGrads): number {
    return tf.tidy(() => this.squaredNormOnDevice(grads).dataSync()[0]);
  }

  /** squaredNorm as a scalar tensor, not read back. */
  squaredNormOnDevice(grads: LatentGrads): tf.Scalar {
    return tf.tidy(() => {
      const encoder = grads.W_encT ?? grads.W_enc!;
      const total = encoder.square().sum().add(grads.b_enc.square().sum()).add(grads.W_dec.square().sum()) as tf.Scalar;
      if (!this.unitDecoderRows) return total;
      const along = grads.W_dec.mul(this.W_dec).sum(1); // [count]
      return total.sub(along.square().sum());
    });
  }

  /**
   * Adam step with the decoder constraint on the gradients times `gradScale` (clipping; a scalar
   * tensor when it is still on the device); `t` is the 1-based step number. Disposes nothing it was given.
   */
  apply(given: LatentGrads, hyper: AdamHyper, t: number, gradScale: number | tf.Scalar = 1): void {
    const grads = gradScale === 1 ? given : scaleGrads(given, gradScale);
    try {
      this.applyScaled(grads, hyper, t);
    } finally {
      if (grads !== given) tf.dispose([grads.W_encT ?? grads.W_enc!, grads.b_enc, grads.W_dec]);
    }
  }

  private applyScaled(grads: LatentGrads, hyper: AdamHyper, t: number): void {
    if (grads.W_encT) applyAdam(this.W_enc, grads.W_encT, this.slots.W_enc, hyper, t, { gradTransposed: true });
    else applyAdam(this.W_enc, grads.W_enc!, this.slots.W_enc, hyper, t);
    applyAdam(this.b_enc, grads.b_enc, this.slots.b_enc, hyper, t);
    applyAdam(this.W_dec, grads.W_dec, this.slots.W_dec, hyper, t, { unitRows: this.unitDecoderRows });
  }

  getState(): LatentSliceState {
    const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
    const pick = (get: (key: LatentKey) => tf.Tensor): LatentSlice => ({ W_enc: read(get('W_enc')), b_enc: read(get('b_enc')), W_dec: read(get('W_dec')) });
    return { params: pick((key) => this[key]), adamM: pick((key) => this.slots[key].m), adamV: pick((key) => this.slots[key].v) };
  }

  setState(state: LatentSliceState): void {
    const shapes = this.shapes();
    for (const key of LATENT_KEYS) {
      replaceValue(this[key], tf.tensor(state.params[key], shapes[key]));
      replaceValue(this.slots[key].m, tf.tensor(state.adamM[key], shapes[key]));
      replaceValue(this.slots[key].v, tf.tensor(state.adamV[key], shapes[key]));
    }
  }

  dispose(): void {
    for (const key of LATENT_KEYS) {
      this[key].dispose();
      disposeAdamSlot(this.slots[key]);
    }
  }
}

function scaleGrads(grads: LatentGrads, scale: number | tf.Scalar): LatentGrads {
  const common = { b_enc: grads.b_enc.mul(scale) as tf.Tensor1D, W_dec: grads.W_dec.mul(scale) as tf.Tensor2D };
  return grads.W_encT ? { ...common, W_encT: grads.W_encT.mul(scale) as tf.Tensor2D } : { ...common, W_enc: grads.W_enc!.mul(scale) as tf.Tensor2D };
}

/** b_dec (Gao et al.'s b_pre) with its Adam moments; shared by all latent shards. */
export class BiasParam {
  readonly value: tf.Variable<tf.Rank.R1>; // [dIn]
  private readonly slot: AdamSlot;

  constructor(value: Float32Array, m?: Float32Array, v?: Float32Array) {
    this.value = variableOf(value, [value.length]) as tf.Variable<tf.Rank.R1>;
    this.slot = createAdamSlot([value.length], m, v);
  }

  /** Adam step on `grad` times `gradScale` (clipping; a scalar tensor when still on the device). */
  apply(grad: tf.Tensor1D, hyper: AdamHyper, t: number, gradScale: number | tf.Scalar = 1): void {
    const scaled = tf.tidy(() => grad.mul(gradScale));
    applyAdam(this.value, scaled, this.slot, hyper, t);
    scaled.dispose();
  }

  getState(): { value: Float32Array; m: Float32Array; v: Float32Array } {
    return { value: this.value.dataSync() as Float32Array, m: this.slot.m.dataSync() as Float32Array, v: this.slot.v.dataSync() as Float32Array };
  }

  setState(state: { value: Float32Array; m: Float32Array; v: Float32Array }): void {
    replaceValue(this.value, tf.tensor1d(state.value));
    replaceValue(this.slot.m, tf.tensor1d(state.m));
    replaceValue(this.slot.v, tf.tensor1d(state.v));
  }

  dispose(): void {
    this.value.dispose();
    disposeAdamSlot(this.slot);
  }
}

/** Copies latents [offset, offset + count) out of full parameters (W_enc's columns, W_dec's rows). */
export function sliceLatents(full: Omit<SaeParamArrays, 'b_dec'>, dIn: number, dSae: number, offset: number, count: number): LatentSlice {
  const W_enc = new Float32Array(dIn * count);
  for (let i = 0; i < dIn; i++) W_enc.set(full.W_enc.subarray(i * dSae + offset, i * dSae + offset + count), i * count);
  return {
    W_enc,
    b_enc: full.b_enc.slice(offset, offset + count),
    W_dec: full.W_dec.slice(offset * dIn, (offset + count) * dIn),
  };
}

/** Inverse of sliceLatents over shards covering [0, dSae) in order. */
export function joinLatents(slices: LatentSlice[], dIn: number): LatentSlice {
  const counts = slices.map((s) => s.b_enc.length);
  const dSae = counts.reduce((a, b) => a + b, 0);
  const W_enc = new Float32Array(dIn * dSae);
  const b_enc = new Float32Array(dSae);
  const W_dec = new Float32Array(dSae * dIn);
  let offset = 0;
  slices.forEach((slice, s) => {
    const count = counts[s];
    for (let i = 0; i < dIn; i++) W_enc.set(slice.W_enc.subarray(i * count, (i + 1) * count), i * dSae + offset);
    b_enc.set(slice.b_enc, offset);
    W_dec.set(slice.W_dec, offset * dIn);
    offset += count;
  });
  return { W_enc, b_enc, W_dec };
}

/** Splits dSae latents into `shards` contiguous ranges whose sizes differ by at most one. */
export function shardRanges(dSae: number, shards: number): Array<{ offset: number; count: number }> {
  const ranges: Array<{ offset: number; count: number }> = [];
  let offset = 0;
  for (let s = 0; s < shards; s++) {
    const count = Math.floor(dSae / shards) + (s < dSae % shards ? 1 : 0);
    ranges.push({ offset, count });
    offset += count;
  }
  return ranges;
}
