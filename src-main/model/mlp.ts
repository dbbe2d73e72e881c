// The MLP of a block: expand to d_mlp, nonlinearity, project back.
import { tf } from '../engine/backend.js';
import { blockHook } from '../../src-shared/hooks.js';
import type { Activation } from './config.js';
import type { HookContext } from './hooks.js';
import { linear } from './linear.js';
import type { MlpWeights } from './weights.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The activations HF's ACT2FN maps these names to. */
export function activate(x: tf.Tensor3D, fn: Activation): tf.Tensor3D {
  switch (fn) {
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast': {
      // Hendrycks & Gimpel's tanh approximation, which OpenAI trained GPT-2 with:
      // 0.5·x·(1 + tanh(z)) written as x·sigmoid(2z), the same function, as sigmoid runs ~2x faster on wasm.
      const twoZ = x.add(x.square().mul(x).mul(0.044715)).mul(2 * SQRT_2_OVER_PI); // [batch, pos, d_mlp]
      return x.mul(twoZ.sigmoid()); // [batch, pos, d_mlp]
    }
    case 'gelu':
      return x.mul(x.mul(Math.SQRT1_2).erf().add(1)).mul(0.5); // [batch, pos, d_mlp]
    case 'quick_gelu':
      return x.mul(x.mul(1.702).sigmoid()); // [batch, pos, d_mlp]
    case 'relu':
      return x.relu(); // [batch, pos, d_mlp]
    case 'silu':
      return x.mul(x.sigmoid()); // [batch, pos, d_mlp]
  }
}

export function mlp(x: tf.Tensor3D, w: MlpWeights, fn: Activation, layer: number, hooks: HookContext): tf.Tensor3D {
  const hidden = activate(linear(x, w.fcWeight, w.fcBias), fn); // [batch, pos, d_mlp]
  const post = hooks.point(blockHook(layer, 'mlp.hook_post'), hidden); // [batch, pos, d_mlp]
  return linear(post, w.projWeight, w.projBias); // [batch, pos, d_model]
}
