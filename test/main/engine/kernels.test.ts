import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';

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
