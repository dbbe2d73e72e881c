import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../../src-main/engine/backend.js';
import { AdamW } from '../../../src-main/lm/optimizer.js';
import { isDecayed } from '../../../src-main/lm/params.js';

beforeAll(async () => {
  await initEngine();
});

const HYPER = { lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.5, gradClip: 0 };

describe('AdamW', () => {
  it('decays the linear layers\' weights only: never biases, LayerNorms or embeddings', () => {
    const names = ['wte.weight', 'wpe.weight', 'h.0.ln_1.weight', 'h.0.ln_1.bias', 'h.0.attn.c_attn.weight', 'h.0.attn.c_attn.bias', 'h.0.attn.c_proj.weight', 'h.0.mlp.c_fc.weight', 'h.0.mlp.c_fc.bias', 'h.0.mlp.c_proj.weight', 'h.0.mlp.c_proj.bias', 'h.0.ln_2.weight', 'ln_f.weight', 'ln_f.bias'];
    expect(names.filter(isDecayed)).toEqual(['h.0.attn.c_attn.weight', 'h.0.attn.c_proj.weight', 'h.0.mlp.c_fc.weight', 'h.0.mlp.c_proj.weight']);
    // With zero gradients Adam's step is 0, so what changes is the decay alone: p·(1 − lr·λ) = 0.95·p.
    const params = new Map(names.map((name) => [name, tf.variable(tf.fill([3], 2))]));
    const grads = new Map(names.map((name) => [name, tf.zeros([3])]));
    const opt = AdamW.create(params);
    opt.step(params, grads, HYPER, 1);
    for (const [name, p] of params) expect(Array.from(p.dataSync()), name).toEqual(Array(3).fill(isDecayed(name) ? Math.fround(2 * 0.95) : 2));
    opt.dispose();
  });

  it('clips the global gradient norm and returns it unclipped; Adam\'s first step is lr·sign(g) either way', () => {
    const params = new Map([['a.bias', tf.variable(tf.zeros([2]))], ['b.bias', tf.variable(tf.zeros([1]))]]);
    const grads = new Map([['a.bias', tf.tensor1d([3, 0])], ['b.bias', tf.tensor1d([-4])]]);
    const opt = AdamW.create(params);
    expect(opt.step(params, grads, { ...HYPER, gradClip: 1 }, 1)).toBeCloseTo(5, 6);
    expect(Array.from(params.get('a.bias')!.dataSync())[0]).toBeCloseTo(-0.1, 5);
    expect(Array.from(params.get('b.bias')!.dataSync())[0]).toBeCloseTo(0.1, 5);
    // The moments hold the clipped gradient: m = (1 − β1)·g·(1/5).
    expect(opt.state().get('m.a.bias')!.data[0]).toBeCloseTo(0.1 * 3 / 5, 6);
    opt.dispose();
  });
});
