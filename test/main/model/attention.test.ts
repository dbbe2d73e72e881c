// attention() on wasm takes the fused kernel unless attn.hook_pattern is hooked or cached; both paths
// must give the same output, KV cache and gradients, and the pattern hook must still see and replace.
import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { ATTENTION_KERNELS } from '../../../src-main/engine/causal-attention.js';
import { attention, type LayerKv } from '../../../src-main/model/attention.js';
import { HookContext, type Hook } from '../../../src-main/model/hooks.js';
import type { AttentionWeights } from '../../../src-main/model/weights.js';

const seed = Date.now() % 1_000_000; // fresh inputs each run; printed so a failure can be replayed
const PATTERN = 'blocks.0.attn.hook_pattern';
/** A hook that only looks: enough to send attention() down the tfjs-op path. */
const watchPattern: Hook = { name: PATTERN, fn: () => {} };

const random = (shape: number[], offset: number, scale = 0.5) => tf.randomNormal(shape, 0, scale, 'float32', seed + offset);

function randomWeights(dModel: number): AttentionWeights {
  return {
    qkvWeight: random([dModel, 3 * dModel], 1) as tf.Tensor2D,
    qkvBias: random([3 * dModel], 2) as tf.Tensor1D,
    projWeight: random([dModel, dModel], 3) as tf.Tensor2D,
    projBias: random([dModel], 4) as tf.Tensor1D,
  };
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);

// [batch, pos, past, d_model, heads]: d_head 4, 5 (odd), 6 with cached keys, 7 for one generated token.
const SHAPES = [
  [2, 5, 0, 12, 3],
  [1, 7, 0, 10, 2],
  [3, 3, 4, 18, 3],
  [2, 1, 6, 14, 2],
];

describe('attention', () => {
  it('takes the fused kernel on wasm (and only there)', () => {
    expect(tf.getKernel(ATTENTION_KERNELS.forward, tf.getBackend()) !== undefined).toBe(tf.getBackend() === 'wasm');
  });

  it.each(SHAPES)('fused and tfjs-op paths agree on output and KV cache (batch %i, pos %i, past %i, d_model %i, heads %i)', (batch, pos, past, dModel, heads) => {
    const w = randomWeights(dModel);
    const x = random([batch, pos, dModel], 5, 1) as tf.Tensor3D;
    const dHead = dModel / heads;
    const cached: LayerKv | undefined = past ? { k: random([batch, heads, past, dHead], 6, 1) as tf.Tensor4D, v: random([batch, heads, past, dHead], 7, 1) as tf.Tensor4D } : undefined;
    const fused = attention(x, w, heads, 0, new HookContext(1), cached);
    const reference = attention(x, w, heads, 0, new HookContext(1, { hooks: [watchPattern] }), cached);
    const diff = maxDiff(fused.out, reference.out);
    console.log(`attention [${batch}, ${pos}, past ${past}, d ${dModel}, ${heads} heads] (seed ${seed}): max |diff| ${diff.toExponential(2)}`);
    expect(fused.out.shape).toEqual([batch, pos, dModel]);
    expect(diff).toBeLessThan(1e-5);
    expect(fused.kv.k.shape).toEqual([batch, heads, past + pos, dHead]);
    expect(maxDiff(fused.kv.k, reference.kv.k)).toBe(0);
    expect(maxDiff(fused.kv.v, reference.kv.v)).toBe(0);
    tf.dispose([x, fused.out, reference.out, fused.kv.k, fused.kv.v, reference.kv.k, reference.kv.v, ...Object.values(w), ...(cached ? [cached.k, cached.v] : [])]);
  });

  it('gradients through the fused path equal autodiff of the tfjs-op path, for the input and every weight', () => {
    const [batch, pos, dModel, heads] = [3, 6, 15, 3];
    const w = randomWeights(dModel);
    const x = random([batch, pos, dModel], 8, 1) as tf.Tensor3D;
    const dOut = random([batch, pos, dModel], 9, 1);
    const loss = (hooks: () => HookContext) => (input: tf.Tensor, qkvWeight: tf.Tensor, qkvBias: tf.Tensor, projWeight: tf.Tensor, projBias: tf.Tensor) =>
      attention(input as tf.Tensor3D, { qkvWeight, qkvBias, projWeight, projBias } as AttentionWeights, heads, 0, hooks()).out.mul(dOut).sum();
    const args = [x, w.qkvWeight, w.qkvBias, w.projWeight, w.projBias];
    const fused = tf.grads(loss(() => new HookContext(1)))(args);
    const reference = tf.grads(loss(() => new HookContext(1, { hooks: [watchPattern] })))(args);
    const diffs = fused.map((g, i) => maxDiff(g, reference[i]));
    console.log(`attention gradients (seed ${seed}): x, qkv W, qkv b, proj W, proj b max |diff| ${diffs.map((d) => d.toExponential(2)).join(', ')}`);
    diffs.forEach((d) => expect(d).toBeLessThan(1e-4));
    tf.dispose([x, dOut, ...Object.values(w), ...fused, ...reference]);
  });

  it('a pattern hook sees the causal pattern and its replacement changes the output', () => {
    const [batch, pos, dModel, heads] = [2, 4, 8, 2];
    const w = randomWeights(dModel);
    const x = random([batch, pos, dModel], 10, 1) as tf.Tensor3D;
    let seen: number[][][][] = [];
    const look: Hook = { name: PATTERN, fn: (p) => void (seen = p.arraySync() as number[][][][]) };
    // Every query attends only to the first position.
    const firstOnly: Hook = { name: PATTERN, fn: (p) => tf.oneHot(tf.zeros(p.shape.slice(0, 3), 'int32'), p.shape[3]!).toFloat() };
    const plain = attention(x, w, heads, 0, new HookContext(1));
    const looked = attention(x, w, heads, 0, new HookContext(1, { hooks: [look] }));
    const replaced = attention(x, w, heads, 0, new HookContext(1, { hooks: [firstOnly] }));
    for (const row of seen.flat(2)) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    seen.flat(2).forEach((row, r) => expect(row.slice((r % pos) + 1).every((p) => p === 0)).toBe(true));
    expect(maxDiff(looked.out, plain.out)).toBeLessThan(1e-5);
    const outs = replaced.out.arraySync() as number[][][];
    // With every query reading position 0's value, every position of a sequence gets the same output.
    for (const sequence of outs) for (const position of sequence) position.forEach((v, i) => expect(v).toBeCloseTo(sequence[0][i], 5));
    expect(maxDiff(replaced.out, plain.out)).toBeGreaterThan(1e-3);
    tf.dispose([x, ...Object.values(w), plain.out, looked.out, replaced.out]);
  });
});
