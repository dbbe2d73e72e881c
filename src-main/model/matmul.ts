// Matrix products whose gradients use only untransposed matMuls. Autodiff's gradient of a·b is
// dy·bᵀ and aᵀ·dy, which tfjs computes with matMul's transpose flags; on the wasm backend those run
// 10–20x slower than a plain matMul (0.4–0.7 against 8–20 GFLOP/s here), while an explicit
// transpose costs a memory pass. The forward values are exactly tf.matMul's and tf.fused.matMul's.
import { tf } from '../engine/backend.js';

/** Swaps the last two axes: [..., m, n] → [..., n, m]. */
function swapLast<T extends tf.Tensor>(x: T): T {
  const perm = x.shape.map((_, i) => i);
  perm[perm.length - 1] = perm.length - 2;
  perm[perm.length - 2] = perm.length - 1;
  return tf.transpose(x, perm);
}

/** tf.customGrad's callback receives its inputs and then the save function in one rest list. */
type Args = Array<tf.Tensor | tf.GradSaveFunc>;

/** a·b over the last two axes ([..., m, k]·[..., k, n] → [..., m, n]), batch axes equal. */
export const matMul = tf.customGrad((...args: Args) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b) as tf.Tensor, // [..., m, n]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedA, savedB] = saved;
      return [tf.matMul(dy, swapLast(savedB)) as tf.Tensor, tf.matMul(swapLast(savedA), dy) as tf.Tensor]; // [..., m, k], [..., k, n]
    },
  };
}) as <T extends tf.Tensor>(a: T, b: T) => T;

/** x·W + bias for x [rows, in], W [in, out], bias [out] (GPT-2's Conv1D, flattened). */
export const affine = tf.customGrad((...args: Args) => {
  const [x, weight, bias, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, weight]);
  return {
    value: tf.fused.matMul({ a: x as tf.Tensor2D, b: weight as tf.Tensor2D, bias }) as tf.Tensor, // [rows, out]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedX, savedW] = saved;
      return [
        tf.matMul(dy as tf.Tensor2D, savedW.transpose() as tf.Tensor2D) as tf.Tensor, // [rows, in]
        tf.matMul(savedX.transpose() as tf.Tensor2D, dy as tf.Tensor2D) as tf.Tensor, // [in, out]
        dy.sum(0) as tf.Tensor, // [out]
      ];
    },
  };
}) as (x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;
