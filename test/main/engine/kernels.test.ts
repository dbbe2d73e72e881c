import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { SAE_KERNELS } from '../../../src-main/engine/kernels.js';
import { createAdamSlot } from '../../../src-main/sae/adam.js';
import { applyAdam, applyAdamComposite, unitRows } from '../../../src-main/sae/optimizer.js';
import {
  gatherCombine,
  gatherCombineComposite,
  gatherDot,
  gatherDotComposite,
  scatterOuter,
  scatterOuterComposite,
} from '../../../src-main/sae/sparse-ops.js';

describe('registered kernels on the active backend', () => {
  it('unsortedSegmentSum adds rows into their segments and drops out-of-range ids', () => {
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const ids = tf.tensor1d([2, 0, 2, 5], 'int32');
    const out = tf.unsortedSegmentSum(x, ids, 3);
    expect(out.shape).toEqual([3, 2]);
    expect(Array.from(out.dataSync())).toEqual([3, 4, 0, 0, 6, 8]);
    tf.dispose([x, ids, out]);
  });

  it('gives gather a gradient (embedding lookups and sparse decoders depend on it)', () => {
    const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const idx = tf.tensor1d([2, 2, 0], 'int32');
    const grad = tf.grad((t: tf.Tensor) => tf.gather(t, idx).mul(tf.tensor2d([[1, 1], [2, 2], [3, 3]])).sum())(table);
    expect(Array.from(grad.dataSync())).toEqual([3, 3, 0, 0, 3, 3]);
    tf.dispose([table, idx, grad]);
  });
});

describe('sparse SAE kernels (fused on wasm) against their tfjs compositions', () => {
  const table = () => tf.randomNormal([20, 6], 0, 1, 'float32', 1) as tf.Tensor2D;
  const ids = () => tf.tensor2d([[3, 19, 0], [7, 7, 2], [11, 5, 19], [0, 1, 2]], [4, 3], 'int32');
  const coefs = () => tf.tensor2d([[1.5, -2, 0], [0.25, 1, 3], [0, 0, 0], [2, 2, 2]]);
  const rows = () => tf.randomNormal([4, 6], 0, 1, 'float32', 2) as tf.Tensor2D;

  function maxDifference(a: tf.Tensor, b: tf.Tensor): number {
    return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);
  }

  it('registers the fused kernels on wasm, and only there (other backends use the compositions)', () => {
    for (const name of Object.values(SAE_KERNELS)) expect(tf.getKernel(name, tf.getBackend()) !== undefined).toBe(tf.getBackend() === 'wasm');
  });

  it('gatherCombine, gatherDot and scatterOuter agree with gather / segment-sum compositions', () => {
    const [t, i, c, r] = [table(), ids(), coefs(), rows()];
    const combined = gatherCombine(t, i, c);
    expect(combined.shape).toEqual([4, 6]);
    // Row 1 by hand: 0.25·t[7] + 1·t[7] + 3·t[2].
    const byHand = tf.tidy(() => t.gather([7]).mul(1.25).add(t.gather([2]).mul(3)));
    expect(maxDifference(combined.slice([1, 0], [1, 6]), byHand)).toBeLessThan(1e-5);
    expect(maxDifference(combined, gatherCombineComposite(t, i, c))).toBeLessThan(1e-5);
    expect(maxDifference(gatherDot(t, i, r), gatherDotComposite(t, i, r))).toBeLessThan(1e-5);
    const scattered = scatterOuter(i, c, r, 20);
    expect(scattered.shape).toEqual([20, 6]);
    expect(maxDifference(scattered, scatterOuterComposite(i, c, r, 20))).toBeLessThan(1e-5);
    tf.dispose([t, i, c, r, combined, byHand, scattered]);
  });

  it('names an out-of-range latent id', () => {
    const t = table();
    const bad = tf.tensor2d([[20]], [1, 1], 'int32');
    expect(() => gatherCombine(t, bad, tf.tensor2d([[1]]))).toThrow(tf.getBackend() === 'wasm' ? /latent id 20 is outside \[0, 20\)/ : /20/);
    tf.dispose([t, bad]);
  });

  it('the fused Adam step matches the tfjs one, with the decoder row constraint and a transposed gradient', () => {
    const hyper = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    for (const options of [{}, { unitRows: true }, { gradTransposed: true }]) {
      const start = tf.tidy(() => unitRows(tf.randomNormal([5, 7], 0, 1, 'float32', 3) as tf.Tensor2D));
      const grad = tf.randomNormal(options.gradTransposed ? [7, 5] : [5, 7], 0, 1, 'float32', 4);
      const fused = { param: tf.variable(start.clone()), slot: createAdamSlot([5, 7]) };
      const plain = { param: tf.variable(start.clone()), slot: createAdamSlot([5, 7]) };
      for (let t = 1; t <= 3; t++) {
        applyAdam(fused.param, grad, fused.slot, hyper, t, options);
        applyAdamComposite(plain.param, grad, plain.slot, hyper, t, options);
      }
      expect(maxDifference(fused.param, plain.param)).toBeLessThan(1e-5);
      expect(maxDifference(fused.slot.v, plain.slot.v)).toBeLessThan(1e-6);
      if (options.unitRows) {
        for (const norm of fused.param.norm('euclidean', 1).dataSync()) expect(norm).toBeCloseTo(1, 5);
      }
      tf.dispose([start, grad, fused.param, plain.param, fused.slot.m, fused.slot.v, plain.slot.m, plain.slot.v]);
    }
  });
});
