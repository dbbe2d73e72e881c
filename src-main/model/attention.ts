// Causal multi-head self-attention with GPT-2's fused q|k|v projection and an optional KV cache.
// On wasm the scores, mask, softmax and ·v run as one hand-written kernel with its own gradient
// (engine/causal-attention.ts); elsewhere, and whenever attn.hook_pattern is hooked or cached (the
// kernel's pattern cannot be replaced by a hook), as tfjs ops.
import { tf } from '../engine/backend.js';
import { ATTENTION_KERNELS } from '../engine/causal-attention.js';
import { blockHook } from '../../src-shared/hooks.js';
import type { HookContext } from './hooks.js';
import { linear } from './linear.js';
import { matMul } from './matmul.js';
import type { AttentionWeights } from './weights.js';

/** Keys and values of every position seen so far in one layer. */
export interface LayerKv {
  k: tf.Tensor4D; // [batch, head, past, d_head]
  v: tf.Tensor4D; // [batch, head, past, d_head]
}

/** Large enough that exp() underflows to exactly 0 after softmax, finite so no row becomes NaN. */
const MASKED = -1e10;

/** Additive mask [pos, past+pos]: query i (at absolute position past+i) sees keys 0..past+i. */
function causalMask(pos: number, keys: number): tf.Tensor2D {
  const past = keys - pos;
  const mask = new Float32Array(pos * keys);
  for (let i = 0; i < pos; i++) mask.fill(MASKED, i * keys + past + i + 1, (i + 1) * keys);
  return tf.tensor2d(mask, [pos, keys]); // [pos, keys]
}

function splitHeads(x: tf.Tensor3D, nHead: number): tf.Tensor4D {
  const [batch, pos, d] = x.shape;
  return x.reshape([batch, pos, nHead, d / nHead]).transpose([0, 2, 1, 3]) as tf.Tensor4D; // [batch, head, pos, d_head]
}

/**
 * How attention is computed on wasm: 'kernel', the fused kernel; 'ops', the batched-matMul tfjs ops
 * (different float rounding, kept so runs made with them stay bitwise reproducible). Off wasm both are tfjs ops.
 */
export type AttentionPath = 'kernel' | 'ops';

/** tf.customGrad's callback receives its inputs and then the save function in one rest list. */
type Args = Array<tf.Tensor | tf.GradSaveFunc>;

/** softmax(q·kᵀ/√d_head + causal mask)·v by the wasm kernels, differentiable in q, k and v. */
const fusedAttention = tf.customGrad((...args: Args) => {
  const [q, k, v, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  const [z, pattern] = tf.engine().runKernel(ATTENTION_KERNELS.forward, { q, k, v }, {}) as tf.Tensor4D[]; // [batch, head, pos, d_head], [batch, head, pos, keys]
  save([q, k, v, pattern]);
  return {
    value: z,
    gradFunc: (dz: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedQ, savedK, savedV, savedPattern] = saved;
      return tf.engine().runKernel(ATTENTION_KERNELS.backward, { q: savedQ, k: savedK, v: savedV, pattern: savedPattern, dz }, {}) as tf.Tensor[]; // dq, dk, dv
    },
  };
}) as (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D) => tf.Tensor4D;

/** The attention-weighted values as tfjs ops, the pattern passing through its hook point. */
function patternAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, layer: number, hooks: HookContext): tf.Tensor4D {
  const [, , pos, dHead] = q.shape;
  const keys = k.shape[2];
  // An explicit transpose, because matMul's transposeB flag is ~10x slower on the wasm backend.
  const kT = k.transpose([0, 1, 3, 2]); // [batch, head, d_head, keys]
  const scores = matMul(q, kT).mul(1 / Math.sqrt(dHead)); // [batch, head, pos, keys]
  const masked = scores.add(causalMask(pos, keys)); // [batch, head, pos, keys]
  const pattern = hooks.point(blockHook(layer, 'attn.hook_pattern'), tf.softmax(masked, -1)); // [batch, head, pos, keys]
  return matMul(pattern, v) as tf.Tensor4D; // [batch, head, pos, d_head]
}

/**
 * softmax(q·kᵀ/√d_head + causal mask)·v for q [batch, head, pos, d_head] and k, v [batch, head,
 * keys, d_head] whose last `pos` positions are the queries'; the fused kernel where it is registered,
 * asked for, and nothing watches the pattern.
 */
export function attend(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, layer: number, hooks: HookContext, path: AttentionPath = 'kernel'): tf.Tensor4D {
  const fused = path === 'kernel' && tf.getKernel(ATTENTION_KERNELS.forward, tf.getBackend()) !== undefined && !hooks.observes(blockHook(layer, 'attn.hook_pattern'));
  return fused ? fusedAttention(q, k, v) : patternAttention(q, k, v, layer, hooks); // [batch, head, pos, d_head]
}

export function attention(
  x: tf.Tensor3D,
  w: AttentionWeights,
  nHead: number,
  layer: number,
  hooks: HookContext,
  past?: LayerKv,
  path: AttentionPath = 'kernel',
): { out: tf.Tensor3D; kv: LayerKv } {
  const [batch, pos, dModel] = x.shape;
  const qkv = linear(x, w.qkvWeight, w.qkvBias); // [batch, pos, 3·d_model]
  const [q, kNew, vNew] = tf.split(qkv, 3, 2).map((t) => splitHeads(t as tf.Tensor3D, nHead)); // [batch, head, pos, d_head] each
  const k = past ? (tf.concat([past.k, kNew], 2) as tf.Tensor4D) : kNew; // [batch, head, keys, d_head]
  const v = past ? (tf.concat([past.v, vNew], 2) as tf.Tensor4D) : vNew; // [batch, head, keys, d_head]
  const z = attend(q, k, v, layer, hooks, path); // [batch, head, pos, d_head]
  const merged = z.transpose([0, 2, 1, 3]).reshape([batch, pos, dModel]) as tf.Tensor3D; // [batch, pos, d_model]
  return { out: linear(merged, w.projWeight, w.projBias), kv: { k, v } }; // out: [batch, pos, d_model]
}
