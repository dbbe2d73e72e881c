import { describe, expect, it } from 'vitest';
import { PageCache } from '../../../src-renderer/src/components/map/page-cache.js';

function counting(): { fetch: (n: number) => Promise<string>; calls: number[] } {
  const calls: number[] = [];
  return { calls, fetch: async (n) => (calls.push(n), `page ${n}`) };
}

describe('PageCache', () => {
  it('fetches each key once, sharing a request in flight', async () => {
    const source = counting();
    const cache = new PageCache(source.fetch, String, 4);
    expect(cache.peek(1)).toBeUndefined();
    const [a, b] = await Promise.all([cache.get(1), cache.get(1)]);
    expect([a, b]).toEqual(['page 1', 'page 1']);
    expect(await cache.get(1)).toBe('page 1');
    expect(cache.peek(1)).toBe('page 1');
    expect(source.calls).toEqual([1]);
  });

  it('drops the least recently used page beyond its limit', async () => {
    const source = counting();
    const cache = new PageCache(source.fetch, String, 2);
    await cache.get(1);
    await cache.get(2);
    await cache.get(1);
    await cache.get(3);
    expect(cache.peek(2)).toBeUndefined();
    expect(cache.peek(1)).toBe('page 1');
    expect(cache.peek(3)).toBe('page 3');
  });

  it('does not keep a failure, so the next hover asks again', async () => {
    let fail = true;
    const cache = new PageCache(async (n: number) => {
      if (fail) throw new Error(`no page ${n}`);
      return `page ${n}`;
    }, String, 2);
    await expect(cache.get(5)).rejects.toThrow('no page 5');
    fail = false;
    expect(await cache.get(5)).toBe('page 5');
  });

  it('refuses a limit below one', () => {
    expect(() => new PageCache(async () => 1, String, 0)).toThrow('PageCache: limit must be at least 1, got 0');
  });
});
