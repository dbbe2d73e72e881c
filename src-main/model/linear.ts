// GPT-2's Conv1D: y = x @ W + b with W stored [in, out], applied to every position.
import type { tf } from '../engine/backend.js';
import { affine } from './matmul.js';

export function linear(x: tf.Tensor3D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor3D {
  const [batch, pos, dIn] = x.shape;
  const flat = x.reshape([batch * pos, dIn]) as tf.Tensor2D; // [batch·pos, d_in]
  const y = affine(flat, weight, bias); // [batch·pos, d_out]
  return y.reshape([batch, pos, weight.shape[1]]); // [batch, pos, d_out]
}
