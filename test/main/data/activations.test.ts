import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { tf } from '../../../src-main/engine/backend.js';
import { ActivationStream, ModelActivationSource, hookWidth, type HookedModel } from '../../../src-main/data/activations.js';
import type { HookName } from '../../../src-shared/hooks.js';
import { FakeSource } from './fake-source.js';

const ctx = 5; // 4 activation tokens per window
const train = Uint32Array.from({ length: 12 }, (_, i) => i);

function rowKeys(batch: Float32Array, d: number): number[] {
  const keys: number[] = [];
  for (let r = 0; r < batch.length / d; r++) keys.push(batch[r * d]);
  return keys;
}

async function drain(stream: ActivationStream, n: number, d: number): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push(rowKeys(await stream.next(), d));
  return out;
}

describe('ActivationStream', () => {
  it('serves batches of B rows mixed across windows, each row an intact activation vector', async () => {
    const source = new FakeSource(3, ctx - 1);
    const stream = new ActivationStream(source, train, ctx, { batchTokens: 6, bufferBatches: 4, totalBatches: 4, seed: 1 });
    const batch = await stream.next();
    expect(batch.length).toBe(6 * 3);
    for (let r = 0; r < 6; r++) {
      expect(batch[r * 3 + 1]).toBe(batch[r * 3] + 1);
      expect(batch[r * 3 + 2]).toBe(batch[r * 3] + 2);
    }
    const windows = new Set(rowKeys(batch, 3).map((k) => Math.floor(k / 1000)));
    expect(windows.size).toBeGreaterThan(1);
    // 4 batches × 6 tokens = 24 tokens = 6 windows, fetched in one fill.
    expect(source.calls).toBe(1);
  });

  it('is deterministic for a seed, differs across seeds, and never repeats a token within an epoch', async () => {
    const make = (seed: number) => new ActivationStream(new FakeSource(1, ctx - 1), train, ctx, { batchTokens: 4, bufferBatches: 3, totalBatches: 12, seed });
    const a = (await drain(make(5), 12, 1)).flat();
    const b = (await drain(make(5), 12, 1)).flat();
    const c = (await drain(make(6), 12, 1)).flat();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // 12 batches × 4 = 48 tokens = exactly one epoch of 12 windows × 4 tokens.
    expect(new Set(a).size).toBe(48);
  });

  it('resumes exactly from a state taken mid-fill and between fills, through JSON', async () => {
    const opts = { batchTokens: 4, bufferBatches: 3, totalBatches: 20, seed: 9 };
    const full = await drain(new ActivationStream(new FakeSource(2, ctx - 1), train, ctx, opts), 20, 2);
    for (const cut of [3, 4, 13]) {
      const first = new ActivationStream(new FakeSource(2, ctx - 1), train, ctx, opts);
      await drain(first, cut, 2);
      const saved = JSON.parse(JSON.stringify(first.state()));
      const resumed = new ActivationStream(new FakeSource(2, ctx - 1), train, ctx, opts);
      await resumed.restore(saved);
      expect(await drain(resumed, 20 - cut, 2)).toEqual(full.slice(cut));
    }
  });

  it('refuses to serve more than totalBatches', async () => {
    const stream = new ActivationStream(new FakeSource(1, ctx - 1), train, ctx, { batchTokens: 4, totalBatches: 1, seed: 0 });
    await stream.next();
    await expect(stream.next()).rejects.toThrow(/exhausted: all 1 batches/);
  });
});

describe('ModelActivationSource', () => {
  // A stand-in model whose hook activation at (window row, pos) is [token, pos, 1]: lets the test
  // check batching, the BOS drop and the stopAt request without a real GPT-2.
  const requests: Array<{ cache?: HookName[]; stopAt?: HookName }> = [];
  const model: HookedModel = {
    config: { nEmbd: 3 },
    run(tokens, options) {
      requests.push(options);
      const [b, p] = tokens.shape;
      const act = tf.tidy(() => {
        const tok = tokens.toFloat().expandDims(2); // [batch, pos, 1]
        const pos = tf.range(0, p).reshape([1, p, 1]).tile([b, 1, 1]); // [batch, pos, 1]
        return tf.concat([tok, pos, tf.onesLike(tok)], 2); // [batch, pos, 3]
      });
      return { cache: new Map([[options.stopAt!, act]]) };
    },
  };

  it('drops the BOS position, keeps window order across model batches, and stops at the hook', async () => {
    const windows = { contextSize: 3, count: 3, tokens: Uint16Array.from([50256, 11, 12, 50256, 21, 22, 50256, 31, 32]) };
    const source = new ModelActivationSource(model, windows, 'blocks.0.hook_resid_post', 2);
    const before = tf.memory().numTensors;
    const acts = await source.activations([2, 0, 1]);
    expect(Array.from(acts)).toEqual([31, 1, 1, 32, 2, 1, 11, 1, 1, 12, 2, 1, 21, 1, 1, 22, 2, 1]);
    expect(source.forwardCalls).toBe(2);
    expect(requests[0]).toEqual({ cache: ['blocks.0.hook_resid_post'], stopAt: 'blocks.0.hook_resid_post' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees every tensor of a real forward pass (the model keeps its cache for the caller)', async () => {
    const dir = createTinyModel(join(mkdtempSync(join(tmpdir(), 'act-model-')), 'tiny'), { layers: 1, dModel: 8, heads: 2, ctx: 4, seed: 3 });
    const tiny = await loadGpt2(dir);
    const windows = { contextSize: 4, count: 2, tokens: Uint16Array.from([50256, 1, 2, 3, 50256, 4, 5, 6]) };
    const source = new ModelActivationSource(tiny, windows, 'blocks.0.hook_resid_post', 1);
    const before = tf.memory().numTensors;
    const acts = await source.activations([0, 1]);
    expect(acts.length).toBe(2 * 3 * 8);
    expect(tf.memory().numTensors).toBe(before);
    tiny.dispose();
  });

  it('knows the width of MLP hooks and refuses attention patterns', () => {
    expect(hookWidth('blocks.1.mlp.hook_post', { nEmbd: 8 })).toBe(32);
    expect(hookWidth('blocks.1.hook_resid_mid', { nEmbd: 8 })).toBe(8);
    expect(() => hookWidth('blocks.1.attn.hook_pattern', { nEmbd: 8 })).toThrow(/attention patterns/);
  });
});
