import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import type { Hook } from '../../../src-main/model/hooks.js';
import { hookNames, type HookName } from '../../../src-shared/hooks.js';
import { buildModel, randomTokens, randomWeights, testConfig, tokensTensor } from './fixtures.js';

const config = testConfig();
const weights = randomWeights(config, 11);
const model = buildModel(config, weights);
const rowsA = randomTokens(2, 6, config.vocabSize, 1);
const rowsB = randomTokens(2, 6, config.vocabSize, 2);
afterAll(() => model.dispose());

function logitsOf(rows: number[][], hooks: Hook[] = []): Float32Array {
  const tokens = tokensTensor(rows);
  const { logits } = model.run(tokens, { hooks });
  const values = logits!.dataSync() as Float32Array;
  tf.dispose([tokens, logits!]);
  return values;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('stopAt', () => {
  it('runs hooks only up to the stop point, skips later blocks and returns no logits', () => {
    const called: HookName[] = [];
    const hooks = hookNames(config.nLayer).map((name): Hook => ({
      name,
      fn: () => {
        if (name.startsWith('blocks.1.') && name !== 'blocks.1.hook_resid_pre') throw new Error(`${name} must not run`);
        called.push(name);
      },
    }));
    const tokens = tokensTensor(rowsA);
    const { logits, cache } = model.run(tokens, { hooks, stopAt: 'blocks.1.hook_resid_pre', cache: ['blocks.1.hook_resid_pre'] });
    const full = model.run(tokens, { cache: ['blocks.1.hook_resid_pre'] });
    try {
      expect(logits).toBeUndefined();
      expect(called).toEqual(hookNames(config.nLayer).slice(0, hookNames(config.nLayer).indexOf('blocks.1.hook_resid_pre') + 1));
      // Float tolerance, not equality: a hook on attn.hook_pattern sends attention down its tfjs-op path, which rounds differently from the fused wasm kernel.
      expect(maxAbsDiff(cache.get('blocks.1.hook_resid_pre')!.dataSync() as Float32Array, full.cache.get('blocks.1.hook_resid_pre')!.dataSync() as Float32Array)).toBeLessThan(1e-5);
    } finally {
      tf.dispose([tokens, full.logits!, ...full.cache.values(), ...cache.values()]);
    }
  });

  it('refuses to cache a hook that lies after stopAt', () => {
    const tokens = tokensTensor(rowsA);
    expect(() => model.run(tokens, { stopAt: 'blocks.0.hook_attn_out', cache: ['blocks.0.hook_mlp_out'] })).toThrow(
      /cache\[0\]: cannot return blocks\.0\.hook_mlp_out, because stopAt blocks\.0\.hook_attn_out ends/,
    );
    tokens.dispose();
  });
});

describe('replacing hooks', () => {
  it('zero-ablating the last residual stream leaves logits = ln_f.bias · wteᵀ at every position', () => {
    const got = logitsOf(rowsA, [{ name: 'blocks.1.hook_resid_post', fn: (x) => tf.zerosLike(x) }]);
    const bias = weights.get('ln_f.bias')!.data;
    const wte = weights.get('wte.weight')!.data;
    const d = config.nEmbd;
    const expected = Array.from({ length: config.vocabSize }, (_, v) => bias.reduce((s, b, i) => s + b * wte[v * d + i], 0));
    for (let row = 0; row < 2 * 6; row++) {
      const slice = got.subarray(row * config.vocabSize, (row + 1) * config.vocabSize);
      slice.forEach((value, v) => expect(value).toBeCloseTo(expected[v], 4));
    }
    expect(maxAbsDiff(got, logitsOf(rowsA))).toBeGreaterThan(0.1);
  });

  it('patching block 1 input from run B into run A gives exactly run B logits (activation patching)', () => {
    const tokensB = tokensTensor(rowsB);
    const { cache, logits } = model.run(tokensB, { cache: ['blocks.1.hook_resid_pre'] });
    const patched = cache.get('blocks.1.hook_resid_pre')!;
    const got = logitsOf(rowsA, [{ name: 'blocks.1.hook_resid_pre', fn: () => patched }]);
    expect(maxAbsDiff(got, logits!.dataSync() as Float32Array)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got, logitsOf(rowsA))).toBeGreaterThan(0.1);
    tf.dispose([tokensB, logits!, patched]);
  });

  it('an identity replacement leaves the logits unchanged', () => {
    const identity = hookNames(config.nLayer).map((name): Hook => ({ name, fn: (x) => x.clone() }));
    const others = identity.filter((hook) => !hook.name.endsWith('attn.hook_pattern'));
    expect(Array.from(logitsOf(rowsA, others))).toEqual(Array.from(logitsOf(rowsA)));
    // With the pattern hooked, attention takes its tfjs-op path, which rounds differently from the fused wasm kernel.
    expect(maxAbsDiff(logitsOf(rowsA, identity), logitsOf(rowsA))).toBeLessThan(1e-5);
  });

  it('hooks on one point run in order, each seeing the previous output', () => {
    const seen: number[] = [];
    const name = 'blocks.0.hook_mlp_out';
    const hooks: Hook[] = [
      { name, fn: (x) => x.mul(0).add(2) },
      { name, fn: (x) => { seen.push(x.max().dataSync()[0]); return x.mul(3); } },
    ];
    const tokens = tokensTensor(rowsA);
    const { logits, cache } = model.run(tokens, { hooks, cache: [name] });
    expect(seen).toEqual([2]);
    expect(new Set(cache.get(name)!.dataSync())).toEqual(new Set([6]));
    tf.dispose([tokens, logits!, ...cache.values()]);
  });

  it('rejects a replacement of the wrong shape, naming the hook and both shapes', () => {
    const tokens = tokensTensor(rowsA);
    expect(() => model.run(tokens, { hooks: [{ name: 'blocks.0.mlp.hook_post', fn: () => tf.zeros([2, 6, 32]) }] })).toThrow(
      'hook on blocks.0.mlp.hook_post returned shape [2, 6, 32]; the activation it replaces has shape [2, 6, 128]',
    );
    tokens.dispose();
  });
});

describe('hook scoping and names', () => {
  it('a throwing hook propagates, frees its tensors, and the next call runs clean', () => {
    const clean = logitsOf(rowsA);
    const before = tf.memory().numTensors;
    const tokens = tokensTensor(rowsA);
    expect(() =>
      model.run(tokens, {
        cache: hookNames(config.nLayer),
        hooks: [
          { name: 'blocks.0.hook_resid_mid', fn: (x) => x.mul(100) },
          { name: 'blocks.1.hook_attn_out', fn: () => { throw new Error('boom'); } },
        ],
      }),
    ).toThrow('boom');
    tokens.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(logitsOf(rowsA))).toEqual(Array.from(clean));
  });

  it('names the unknown or out-of-range hook in hooks, cache and stopAt', () => {
    const tokens = tokensTensor(rowsA);
    const bad = (opts: Parameters<typeof model.run>[1]) => () => model.run(tokens, opts);
    expect(bad({ hooks: [{ name: 'blocks.0.hook_resid' as HookName, fn: () => {} }] })).toThrow(/hooks\[0\]: unknown hook name "blocks\.0\.hook_resid"/);
    expect(bad({ cache: ['hook_embed', 'blocks.2.hook_resid_post'] })).toThrow(/cache\[1\]: hook "blocks\.2\.hook_resid_post" names layer 2, but the model has layers 0\.\.1/);
    expect(bad({ stopAt: 'ln_final' as HookName })).toThrow(/stopAt: unknown hook name "ln_final"/);
    expect(bad({ stop_at: 'hook_embed' } as never)).toThrow('unknown run option "stop_at" (expected hooks, cache, stopAt)');
    tokens.dispose();
  });

  it('caches by predicate, one independent tensor per hook', () => {
    const tokens = tokensTensor(rowsA);
    const { logits, cache } = model.run(tokens, { cache: (name) => name.endsWith('resid_post') || name.endsWith('resid_pre') });
    expect([...cache.keys()]).toEqual(['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre', 'blocks.1.hook_resid_post']);
    const post0 = Array.from(cache.get('blocks.0.hook_resid_post')!.dataSync());
    cache.get('blocks.0.hook_resid_post')!.dispose();
    expect(Array.from(cache.get('blocks.1.hook_resid_pre')!.dataSync())).toEqual(post0);
    tf.dispose([tokens, logits!, ...cache.values()]);
  });
});
