import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openActivationCache, type CacheKey } from '../../../src-main/data/activation-cache.js';
import type { WindowSet } from '../../../src-main/data/windows.js';
import { FakeSource } from './fake-source.js';

const ctx = 4;
function windowSet(count: number, offset = 0): WindowSet {
  return { contextSize: ctx, count, tokens: Uint16Array.from({ length: count * ctx }, (_, i) => (i % ctx === 0 ? 50256 : i + offset)) };
}
const key = (dtype: 'f16' | 'f32'): CacheKey => ({ model: 'tiny', hook: 'blocks.0.hook_resid_post', contextSize: ctx, dIn: 2, dtype });

describe('activation cache', () => {
  it('round-trips F32 exactly and F16 within half precision, reading windows in any order', async () => {
    for (const dtype of ['f32', 'f16'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'act-cache-'));
      const model = new FakeSource(2, ctx - 1);
      const cache = await openActivationCache(dir, key(dtype), windowSet(10), 10, model, { shardWindows: 4 });
      const got = await cache.activations([9, 0, 5]);
      const want = await model.activations([9, 0, 5]);
      cache.close();
      if (dtype === 'f32') expect(Array.from(got)).toEqual(Array.from(want));
      else for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(Math.abs(want[i]) * 2 ** -11);
      expect(readdirSync(dir).filter((f) => f.startsWith('shard-')).length).toBe(3);
    }
  });

  it('reuses a matching cache without running the model, and extends a shorter one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'act-cache-'));
    const first = new FakeSource(2, ctx - 1);
    (await openActivationCache(dir, key('f32'), windowSet(12), 8, first, { shardWindows: 4 })).close();
    expect(first.calls).toBe(2);
    const again = new FakeSource(2, ctx - 1);
    (await openActivationCache(dir, key('f32'), windowSet(12), 8, again, { shardWindows: 4 })).close();
    expect(again.calls).toBe(0);
    const more = new FakeSource(2, ctx - 1);
    const cache = await openActivationCache(dir, key('f32'), windowSet(12), 12, more, { shardWindows: 4 });
    expect(more.calls).toBe(1);
    expect(Array.from(await cache.activations([11]))).toEqual(Array.from(await more.activations([11])));
    cache.close();
    expect(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).shards.length).toBe(3);
  });

  it('refuses a cache built for another hook or other tokens, naming what differs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'act-cache-'));
    (await openActivationCache(dir, key('f32'), windowSet(4), 4, new FakeSource(2, ctx - 1), { shardWindows: 4 })).close();
    await expect(openActivationCache(dir, { ...key('f32'), hook: 'blocks.1.hook_resid_post' }, windowSet(4), 4, new FakeSource(2, ctx - 1), { shardWindows: 4 })).rejects.toThrow(
      /built with hook "blocks\.0\.hook_resid_post", but this run has "blocks\.1\.hook_resid_post"/,
    );
    await expect(openActivationCache(dir, key('f32'), windowSet(4, 7), 4, new FakeSource(2, ctx - 1), { shardWindows: 4 })).rejects.toThrow(/shard 0 was built from other tokens/);
    expect(existsSync(join(dir, 'shard-00000.f32'))).toBe(true);
  });
});
