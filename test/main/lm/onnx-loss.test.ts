import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../../src-main/engine/backend.js';
import { meanCrossEntropy, rowOffsets, rowOffsetValues, summedCrossEntropy } from '../../../src-main/lm/loss.js';
import { OnnxLoss } from '../../../src-main/lm/onnx-loss.js';

// The loss on ONNX Runtime against loss.ts's tfjs path (itself tested against the plain
// full-vocabulary reference in loss.test.ts), through the same customGrad, so the tape sees it as tfjs.
const n = 700;
const d = 8;
const own = 13;
const absent = 40;
let onnx: OnnxLoss;

beforeAll(async () => {
  await initEngine();
  onnx = await OnnxLoss.start({ dModel: d, offsets: rowOffsetValues(own + 1, absent), maxRows: 1024, threads: 2 });
});

afterAll(async () => {
  await onnx.dispose();
});

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);
}

describe('the LM loss on ONNX Runtime', () => {
  it('gives the tfjs loss and gradients, shared row included, and blocks until they are computed', () => {
    const x = tf.randomNormal([n, d], 0, 1, 'float32', 1) as tf.Tensor2D;
    const table = tf.randomNormal([own + 1, d], 0, 1, 'float32', 2) as tf.Tensor2D;
    const targets = tf.randomUniformInt([n], 0, own + 1, 3) as tf.Tensor1D;
    const offsets = rowOffsets(own + 1, absent);
    const lossOf = (runtime?: OnnxLoss) => (a: tf.Tensor, b: tf.Tensor) => meanCrossEntropy(a as tf.Tensor2D, b as tf.Tensor2D, offsets, targets, n, runtime).mul(2.5);
    const tfjs = tf.valueAndGrads(lossOf())([x, table]);
    const ort = tf.valueAndGrads(lossOf(onnx))([x, table]);
    const diffs = { value: maxDiff(ort.value, tfjs.value), dx: maxDiff(ort.grads[0], tfjs.grads[0]), dTable: maxDiff(ort.grads[1], tfjs.grads[1]) };
    console.log('ONNX Runtime loss against tfjs, largest differences', diffs);
    expect(ort.value.dataSync()[0]).toBeGreaterThan(1);
    expect(diffs.value).toBeLessThan(1e-5);
    expect(diffs.dx).toBeLessThan(1e-6);
    expect(diffs.dTable).toBeLessThan(1e-6);
    expect(tf.tidy(() => ort.grads[1].slice([own, 0], [1, d]).abs().max().dataSync()[0])).toBeGreaterThan(1e-3);
    expect(summedCrossEntropy(x, table, offsets, targets, onnx)).toBeCloseTo(summedCrossEntropy(x, table, offsets, targets), 2);
    tf.dispose([x, table, targets, offsets, tfjs.value, ...tfjs.grads, ort.value, ...ort.grads]);
  });

  it('gives the same bytes on every call', () => {
    const x = Float32Array.from({ length: n * d }, (_, i) => Math.sin(i));
    const table = Float32Array.from({ length: (own + 1) * d }, (_, i) => Math.cos(i));
    const targets = Int32Array.from({ length: n }, (_, i) => (i * 7) % (own + 1));
    const first = onnx.compute(x, table, targets, true);
    const copy = { sum: first.sum, dx: first.dx!.slice(), dTable: first.dTable!.slice() };
    const second = onnx.compute(x, table, targets, true);
    expect(second.sum).toBe(copy.sum);
    expect(Buffer.from(second.dx!.buffer, second.dx!.byteOffset, second.dx!.byteLength).equals(Buffer.from(copy.dx.buffer))).toBe(true);
    expect(Buffer.from(second.dTable!.buffer, second.dTable!.byteOffset, second.dTable!.byteLength).equals(Buffer.from(copy.dTable.buffer))).toBe(true);
    expect(onnx.compute(x, table, targets, false)).toEqual({ sum: copy.sum });
  });

  it('refuses inputs that do not fit the worker, and fails once disposed', async () => {
    expect(() => onnx.compute(new Float32Array(2000 * d), new Float32Array((own + 1) * d), new Int32Array(2000), false)).toThrow(/2000 rows of 8 features; this worker takes at most 1024 rows of 8/);
    expect(() => onnx.compute(new Float32Array(4 * d), new Float32Array(3 * d), new Int32Array(4), false)).toThrow(/a table of 3 rows; this worker was built for 14/);
    const other = await OnnxLoss.start({ dModel: d, offsets: rowOffsetValues(own + 1, absent), maxRows: 8, threads: 1 });
    await other.dispose();
    expect(() => other.compute(new Float32Array(4 * d), new Float32Array((own + 1) * d), new Int32Array(4), false)).toThrow(/disposed/);
  });

  it('reports an ONNX Runtime error instead of hanging', () => {
    // A target past the table's rows: GatherElements rejects the index.
    expect(() => onnx.compute(new Float32Array(4 * d), new Float32Array((own + 1) * d), Int32Array.of(0, 1, 99, 2), false)).toThrow(/ONNX Runtime loss: .*/);
  });
});
