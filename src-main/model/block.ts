// One pre-LayerNorm transformer block: resid += attn(ln1(resid)); resid += mlp(ln2(resid)).
import type { tf } from '../engine/backend.js';
import { blockHook, type BlockHook } from '../../src-shared/hooks.js';
import { attention, type AttentionPath, type LayerKv } from './attention.js';
import type { Gpt2Config } from './config.js';
import type { HookContext } from './hooks.js';
import { layerNorm } from './layernorm.js';
import { mlp } from './mlp.js';
import type { BlockWeights } from './weights.js';

export function block(
  residIn: tf.Tensor3D,
  w: BlockWeights,
  c: Gpt2Config,
  layer: number,
  hooks: HookContext,
  past?: LayerKv,
  attentionPath?: AttentionPath,
): { resid: tf.Tensor3D; kv: LayerKv } {
  const at = (hook: BlockHook) => blockHook(layer, hook);
  const resid = hooks.point(at('hook_resid_pre'), residIn); // [batch, pos, d_model]
  const normed1 = hooks.point(at('ln1.hook_normalized'), layerNorm(resid, w.ln1, c.layerNormEpsilon)); // [batch, pos, d_model]
  const { out, kv } = attention(normed1, w.attn, c.nHead, layer, hooks, past, attentionPath);
  const attnOut = hooks.point(at('hook_attn_out'), out); // [batch, pos, d_model]
  const mid = hooks.point(at('hook_resid_mid'), resid.add(attnOut) as tf.Tensor3D); // [batch, pos, d_model]
  const normed2 = layerNorm(mid, w.ln2, c.layerNormEpsilon); // [batch, pos, d_model]
  const mlpOut = hooks.point(at('hook_mlp_out'), mlp(normed2, w.mlp, c.activationFunction, layer, hooks)); // [batch, pos, d_model]
  return { resid: hooks.point(at('hook_resid_post'), mid.add(mlpOut) as tf.Tensor3D), kv }; // resid: [batch, pos, d_model]
}
