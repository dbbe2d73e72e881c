// Token plus position embedding: the residual stream before block 0.
import { tf } from '../engine/backend.js';
import type { HookContext } from './hooks.js';
import type { Gpt2Weights } from './weights.js';

/** `offset` is the number of positions already in the KV cache, so new tokens get wpe rows offset.. */
export function embed(tokens: tf.Tensor2D, w: Gpt2Weights, offset: number, hooks: HookContext): tf.Tensor3D {
  const [batch, pos] = tokens.shape;
  const dModel = w.wte.shape[1];
  const tokenEmbed = tf.gather(w.wte, tokens.reshape([batch * pos])).reshape([batch, pos, dModel]) as tf.Tensor3D; // [batch, pos, d_model]
  const embedded = hooks.point('hook_embed', tokenEmbed); // [batch, pos, d_model]
  const rows = w.wpe.slice([offset, 0], [pos, dModel]); // [pos, d_model]
  // TransformerLens repeats the position embedding over the batch at this hook; so do we. A
  // broadcasting add does it several times faster than broadcastTo's Tile kernel on wasm.
  const repeated = tf.zeros([batch, 1, 1]).add(rows) as tf.Tensor3D; // [batch, pos, d_model]
  const posEmbed = hooks.point('hook_pos_embed', repeated); // [batch, pos, d_model]
  return embedded.add(posEmbed); // [batch, pos, d_model]
}
