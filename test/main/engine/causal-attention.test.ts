// The causal attention kernels against tfjs ops and their autodiff, on fresh random inputs.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { ATTENTION_KERNELS } from '../../../src-main/engine/causal-attention.js';
import { registerWasmKernels } from '../../../src-main/engine/kernels.js';

// The kernels exist only on wasm; this file runs them there whichever backend the suite started.
beforeAll(async () => {
  if (tf.getBackend() === 'wasm') return;
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  registerWasmKernels();
});

const seed = Date.now() % 1_000_000; // fresh inputs each run; printed so a failure can be replayed

/** [batch, head, pos, d_head] q and [batch, head, past + pos, d_head] k and v. */
function inputs(batch: number, heads: number, pos: number, past: number, dHead: number, offset: number): tf.Tensor4D[] {
  return [pos, past + pos, past + pos].map((n, i) => tf.randomNormal([batch, heads, n, dHead], 0, 1, 'float32', seed + offset + i) as tf.Tensor4D);
}

/** softmax(q·kᵀ/√d_head + mask)·v as plain tfjs ops: query i sees keys 0..past+i. */
function referencePattern(q: tf.Tensor4D, k: tf.Tensor4D): tf.Tensor4D {
  const [pos, dHead] = q.shape.slice(2);
  const keys = k.shape[2];
  const visible = tf.linalg.bandPart(tf.ones([pos, keys]), -1, keys - pos); // [pos, keys]: 1 where j ≤ past + i
  const scores = tf.matMul(q, k, false, true).mul(1 / Math.sqrt(dHead)); // [batch, head, pos, keys]
  return tf.softmax(scores.add(visible.sub(1).mul(1e10)), -1) as tf.Tensor4D; // [batch, head, pos, keys]
}

const referenceAttention = (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D => tf.matMul(referencePattern(q, k), v); // [batch, head, pos, d_head]

function kernelAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D[] {
  return tf.engine().runKernel(ATTENTION_KERNELS.forward, { q, k, v }, {}) as tf.Tensor4D[];
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);

// [batch, heads, pos, past, d_head]: d_head below, at and above 4 and not a multiple of it, with and without cached keys.
const SHAPES = [
  [2, 3, 5, 0, 4],
  [1, 2, 7, 0, 5],
  [3, 2, 3, 4, 6],
  [2, 1, 1, 6, 3],
  [1, 2, 9, 2, 13],
];

describe('causal attention kernels on wasm', () => {
  it.each(SHAPES)('forward: z and pattern equal the tfjs ops (batch %i, heads %i, pos %i, past %i, d_head %i)', (batch, heads, pos, past, dHead) => {
    const [q, k, v] = inputs(batch, heads, pos, past, dHead, 0);
    const [z, pattern] = kernelAttention(q, k, v);
    const expectedPattern = referencePattern(q, k);
    console.log(`forward [${batch}, ${heads}, ${pos}, ${past}, ${dHead}] (seed ${seed}): z ${maxDiff(z, referenceAttention(q, k, v)).toExponential(2)}, pattern ${maxDiff(pattern, expectedPattern).toExponential(2)}`);
    expect(z.shape).toEqual([batch, heads, pos, dHead]);
    expect(pattern.shape).toEqual([batch, heads, pos, past + pos]);
    expect(maxDiff(z, referenceAttention(q, k, v))).toBeLessThan(1e-5);
    expect(maxDiff(pattern, expectedPattern)).toBeLessThan(1e-6);
    // Above the diagonal the pattern is exactly 0, as the masked softmax gives.
    const rows = (pattern.arraySync() as number[][][][]).flat(2); // batch·heads·pos rows of [keys]
    rows.forEach((row, r) => expect(row.slice(past + (r % pos) + 1).every((p) => p === 0)).toBe(true));
    tf.dispose([q, k, v, z, pattern, expectedPattern]);
  });

  it.each(SHAPES)('backward: dq, dk, dv equal autodiff of the tfjs ops (batch %i, heads %i, pos %i, past %i, d_head %i)', (batch, heads, pos, past, dHead) => {
    const [q, k, v] = inputs(batch, heads, pos, past, dHead, 10);
    const dz = tf.randomNormal([batch, heads, pos, dHead], 0, 1, 'float32', seed + 20) as tf.Tensor4D;
    const [, pattern] = kernelAttention(q, k, v);
    const grads = tf.engine().runKernel(ATTENTION_KERNELS.backward, { q, k, v, pattern, dz }, {}) as tf.Tensor[];
    const expected = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => referenceAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D).mul(dz).sum())([q, k, v]);
    const diffs = grads.map((g, i) => maxDiff(g, expected[i]));
    console.log(`backward [${batch}, ${heads}, ${pos}, ${past}, ${dHead}] (seed ${seed}): dq, dk, dv max |diff| ${diffs.map((d) => d.toExponential(2)).join(', ')}`);
    grads.forEach((g, i) => expect(g.shape).toEqual(expected[i].shape));
    diffs.forEach((d) => expect(d).toBeLessThan(1e-5));
    tf.dispose([q, k, v, dz, pattern, ...grads, ...expected]);
  });

  it('names the input whose shape is wrong and what it should be', () => {
    const [q, k, v] = inputs(2, 2, 3, 1, 4, 30);
    const shortK = tf.zeros([2, 2, 2, 4]);
    const wideV = tf.zeros([2, 2, 4, 5]);
    const pattern = tf.zeros([2, 2, 3, 3]);
    expect(() => kernelAttention(q, shortK as tf.Tensor4D, v)).toThrow('CausalAttention: k has 2 positions, fewer than q\'s 3');
    expect(() => kernelAttention(q, k, wideV as tf.Tensor4D)).toThrow('CausalAttention: v must be [2,2,4,4] to match q [2,2,3,4], got [2,2,4,5]');
    expect(() => tf.engine().runKernel(ATTENTION_KERNELS.backward, { q, k, v, pattern, dz: q }, {})).toThrow('CausalAttentionGrad: pattern must be [2,2,3,4] to match q [2,2,3,4], got [2,2,3,3]');
    expect(() => kernelAttention(q.reshape([2, 2, 12]) as unknown as tf.Tensor4D, k, v)).toThrow('CausalAttention: q must be float32 [batch, head, pos, d], got float32 [2,2,12]');
    tf.dispose([q, k, v, shortK, wideV, pattern]);
  });
});
