import { describe, expect, it } from 'vitest';
import { buildWindows, splitWindows, windowAt, type WindowTokenizer } from '../../../src-main/data/windows.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';

// One token per character (its code), so expected windows can be written out by hand.
const charTokenizer: WindowTokenizer = { encode: (text) => [...text].map((c) => c.charCodeAt(0)), eotId: 0 };

async function* docs(...texts: string[]): AsyncGenerator<string> {
  yield* texts;
}

describe('buildWindows', () => {
  it('joins documents with EOT, cuts contextSize − 1 tokens and prepends BOS to each window', async () => {
    const set = await buildWindows(docs('abc', 'defgh'), charTokenizer, { contextSize: 4 });
    // stream: a b c EOT d e f g h → [a b c] [EOT d e] [f g h]
    const c = (s: string) => s.charCodeAt(0);
    expect(set.count).toBe(3);
    expect(Array.from(windowAt(set, 0))).toEqual([0, c('a'), c('b'), c('c')]);
    expect(Array.from(windowAt(set, 1))).toEqual([0, 0, c('d'), c('e')]);
    expect(Array.from(windowAt(set, 2))).toEqual([0, c('f'), c('g'), c('h')]);
  });

  it('drops the last partial window and stops reading at maxWindows', async () => {
    const all = await buildWindows(docs('abcdefg'), charTokenizer, { contextSize: 3 });
    expect(all.count).toBe(3);
    let read = 0;
    async function* counting(): AsyncGenerator<string> {
      for (const d of ['abcd', 'efgh', 'ijkl', 'mnop']) {
        read++;
        yield d;
      }
    }
    const capped = await buildWindows(counting(), charTokenizer, { contextSize: 3, maxWindows: 2 });
    expect(capped.count).toBe(2);
    expect(read).toBe(1);
  });

  it('uses GPT-2 token ids with <|endoftext|> as BOS on real text', async () => {
    const tok = await loadTokenizer();
    const set = await buildWindows(docs('Hello world, this is a test of the windowing.'), tok, { contextSize: 5 });
    const ids = tok.encode('Hello world, this is a test of the windowing.');
    expect(Array.from(windowAt(set, 0))).toEqual([50256, ...ids.slice(0, 4)]);
    expect(Array.from(windowAt(set, 1))).toEqual([50256, ...ids.slice(4, 8)]);
  });

  it('rejects a context below 2', async () => {
    await expect(buildWindows(docs('abc'), charTokenizer, { contextSize: 1 })).rejects.toThrow(/contextSize must be an integer >= 2/);
  });
});

describe('splitWindows', () => {
  it('holds out every Nth window, deterministically and disjointly', () => {
    const { train, validation } = splitWindows(10, 4);
    expect(Array.from(validation)).toEqual([3, 7]);
    expect(Array.from(train)).toEqual([0, 1, 2, 4, 5, 6, 8, 9]);
  });
});
