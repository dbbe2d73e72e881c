// LayerNorm over the last axis, with PyTorch's biased variance, as in GPT-2.
import { tf } from '../engine/backend.js';
import type { LayerNormWeights } from './weights.js';

export function layerNorm(x: tf.Tensor3D, w: LayerNormWeights, eps: number): tf.Tensor3D {
  const { mean, variance } = tf.moments(x, -1, true); // [batch, pos, 1] each
  const normalized = x.sub(mean).mul(variance.add(eps).rsqrt()); // [batch, pos, d_model]
  return normalized.mul(w.weight).add(w.bias); // [batch, pos, d_model]
}
