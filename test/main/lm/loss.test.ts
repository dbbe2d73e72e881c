import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../../src-main/engine/backend.js';
import { meanCrossEntropy, rowOffsets, summedCrossEntropy } from '../../../src-main/lm/loss.js';

beforeAll(async () => {
  await initEngine();
});

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);
}

/**
 * The plain reference: the full vocabulary written out (each of the `absent` tokens a copy of the
 * shared last row), logSoftmax and autodiff.
 */
function referenceLoss(x: tf.Tensor2D, table: tf.Tensor2D, absent: number, targets: tf.Tensor1D): tf.Scalar {
  const own = table.shape[0] - 1;
  const rows = tf.tensor1d([...Array.from({ length: own }, (_, i) => i), ...Array<number>(absent).fill(own)], 'int32');
  const full = tf.gather(table, rows); // [own + absent, d]
  const logProbs = tf.logSoftmax(tf.matMul(x, full.transpose())); // [n, own + absent]
  return logProbs.mul(tf.oneHot(targets, own + absent)).sum(1).mean().neg() as tf.Scalar;
}

describe('cross-entropy over the training vocabulary plus one shared row', () => {
  // 1100 rows: three chunks of the loss, the last one partial.
  const n = 1100;
  const d = 8;
  const own = 13;
  const absent = 40;

  it('equals the full-vocabulary loss and gradients when the absent tokens share a row', () => {
    const x = tf.randomNormal([n, d], 0, 1, 'float32', 1) as tf.Tensor2D;
    const table = tf.randomNormal([own + 1, d], 0, 1, 'float32', 2) as tf.Tensor2D;
    const targets = tf.randomUniformInt([n], 0, own, 3) as tf.Tensor1D;
    const offsets = rowOffsets(own + 1, absent);
    const oursFn = (a: tf.Tensor, b: tf.Tensor) => meanCrossEntropy(a as tf.Tensor2D, b as tf.Tensor2D, offsets, targets).mul(2.5);
    const refFn = (a: tf.Tensor, b: tf.Tensor) => referenceLoss(a as tf.Tensor2D, b as tf.Tensor2D, absent, targets).mul(2.5);
    const ours = tf.valueAndGrads(oursFn)([x, table]);
    const ref = tf.valueAndGrads(refFn)([x, table]);
    const diffs = { value: maxDiff(ours.value, ref.value), dx: maxDiff(ours.grads[0], ref.grads[0]), dTable: maxDiff(ours.grads[1], ref.grads[1]) };
    console.log('largest differences against the plain reference', diffs);
    expect(ours.value.dataSync()[0]).toBeGreaterThan(1);
    expect(diffs.value).toBeLessThan(1e-4);
    expect(diffs.dx).toBeLessThan(1e-5);
    expect(diffs.dTable).toBeLessThan(1e-5);
    // The shared row gets the gradient of all the tokens it stands for.
    expect(tf.tidy(() => ref.grads[1].slice([own, 0], [1, d]).abs().max().dataSync()[0])).toBeGreaterThan(1e-3);
    expect(summedCrossEntropy(x, table, offsets, targets) / n).toBeCloseTo(ref.value.dataSync()[0] / 2.5, 4);
  });

  it('leaves no tensors behind', () => {
    const x = tf.randomNormal([n, d]) as tf.Tensor2D;
    const table = tf.randomNormal([own + 1, d]) as tf.Tensor2D;
    const targets = tf.randomUniformInt([n], 0, own) as tf.Tensor1D;
    const offsets = rowOffsets(own + 1, absent);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => meanCrossEntropy(a as tf.Tensor2D, b as tf.Tensor2D, offsets, targets))([x, table]);
    summedCrossEntropy(x, table, offsets, targets);
    tf.dispose([value, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
