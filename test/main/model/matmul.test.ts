import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../../src-main/engine/backend.js';
import { affine, matMul } from '../../../src-main/model/matmul.js';

beforeAll(async () => {
  await initEngine();
});

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);
}

describe('matMul and affine with hand-written gradients', () => {
  it('match tf.matMul and its autodiff gradients, for matrices and batched attention shapes', () => {
    for (const [aShape, bShape] of [
      [[5, 7], [7, 3]],
      [[2, 3, 6, 4], [2, 3, 4, 6]],
    ]) {
      const a = tf.randomNormal(aShape, 0, 1, 'float32', 1);
      const b = tf.randomNormal(bShape, 0, 1, 'float32', 2);
      const w = tf.randomNormal([...aShape.slice(0, -1), bShape.at(-1)!], 0, 1, 'float32', 3); // weights the output so dy is not all ones
      const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => matMul(x, y).mul(w).sum())([a, b]);
      const reference = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).mul(w).sum())([a, b]);
      expect(maxDiff(matMul(a, b), tf.matMul(a, b))).toBe(0);
      expect(maxDiff(ours[0], reference[0])).toBeLessThan(1e-5);
      expect(maxDiff(ours[1], reference[1])).toBeLessThan(1e-5);
    }
  });

  it('affine matches fused matMul with bias and its autodiff gradients', () => {
    const x = tf.randomNormal([9, 6], 0, 1, 'float32', 4) as tf.Tensor2D;
    const weight = tf.randomNormal([6, 5], 0, 1, 'float32', 5) as tf.Tensor2D;
    const bias = tf.randomNormal([5], 0, 1, 'float32', 6) as tf.Tensor1D;
    const w = tf.randomNormal([9, 5], 0, 1, 'float32', 7);
    const f = (mm: (x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => mm(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor1D).mul(w).sum();
    const ours = tf.grads(f(affine))([x, weight, bias]);
    const reference = tf.grads(f((a, W, b) => tf.matMul(a, W).add(b)))([x, weight, bias]);
    expect(maxDiff(affine(x, weight, bias), tf.matMul(x, weight).add(bias))).toBeLessThan(1e-5);
    ours.forEach((g, i) => expect(maxDiff(g, reference[i])).toBeLessThan(1e-5));
  });
});
