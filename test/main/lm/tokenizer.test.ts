import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitLmTokenizer } from '../../../src-main/lm/tokenizer.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';

/** Four documents; with holdoutEvery 2 the second and fourth (the only ones saying "zebra") are held out. */
function corpusWithHeldOutWord(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'lm-tok-')), 'docs');
  mkdirSync(dir);
  const docs = ['the cat sat on the mat. '.repeat(20), 'zebra zebra zebra zebra. '.repeat(20), 'the dog sat on the log. '.repeat(20), 'zebras and zebra foals. '.repeat(20)];
  docs.forEach((text, i) => writeFileSync(join(dir, `doc-${i}.txt`), text));
  return dir;
}

describe('fitLmTokenizer', () => {
  it('fits on the training documents only, as lm train splits them, and reports what it cut them into', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lm-tok-out-')), 'tok');
    const dataset = corpusWithHeldOutWord();
    const r = await fitLmTokenizer({ dataset, textField: 'text', holdoutEvery: 2, vocabSize: 400, out });
    expect(r.documents).toBe(2);
    // "the cat sat on the mat. " ×20 and "the dog sat on the log. " ×20: 7 words a sentence ("the", " cat", … " mat", ".";
    // the space goes with the next "the"), and each document's last space is a word of its own.
    expect(r.words).toBe(2 * (20 * 7 + 1));
    expect(r.bytes).toBe(2 * 20 * 24);
    // Every word becomes one token once its bytes are merged; then no pair is left and the fit stops short of 400.
    expect(r.tokens).toBe(r.words);
    expect(r.vocabSize).toBeLessThan(400);
    expect(r.vocabSize).toBe(257 + r.merges);

    const vocab = JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8')) as Record<string, number>;
    expect(Object.keys(vocab)).toHaveLength(r.vocabSize);
    expect(vocab['Ġcat']).toBeGreaterThanOrEqual(256);
    // Nothing of the held-out documents was fitted on: no merge joins "z" to anything.
    expect(Object.keys(vocab).filter((token) => token.length > 1 && token.includes('z'))).toEqual([]);
    const tokenizer = await loadTokenizer(out);
    expect(tokenizer.encode(' zebra')).toHaveLength(6);
    expect(tokenizer.decode(tokenizer.encode('zebra foals'))).toBe('zebra foals');

    await expect(fitLmTokenizer({ dataset, textField: 'text', holdoutEvery: 2, vocabSize: 400, out })).rejects.toThrow(`${out} already holds a tokenizer (vocab.json, merges.txt)`);
    await expect(fitLmTokenizer({ dataset, textField: 'text', holdoutEvery: 1, vocabSize: 400, out: `${out}-2` })).rejects.toThrow('"holdoutEvery" = 1 is invalid; expected an integer ≥ 2');
    await expect(fitLmTokenizer({ dataset, textField: 'text', holdoutEvery: 2, vocabSize: 70000, out: `${out}-2` })).rejects.toThrow(/"vocabSize" = 70000 is invalid; expected an integer from 258/);
  });
});
