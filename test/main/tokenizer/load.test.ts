import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTokenizerFiles } from '../../../src-main/tokenizer/files.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import { shippedGpt2Files } from '../../../src-main/tokenizer/shipped.js';

const root = mkdtempSync(join(tmpdir(), 'tok-load-'));
let count = 0;
function folder(files: Record<string, string> = {}): string {
  const dir = join(root, String(count++));
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A byte-complete toy vocabulary (byte tokens are ids 0..255 in GPT-2) plus "ab" and end-of-text.
function toyVocab(): Record<string, number> {
  const { vocabPath } = shippedGpt2Files();
  const gpt2 = JSON.parse(readFileSync(vocabPath, 'utf8')) as Record<string, number>;
  const vocab: Record<string, number> = {};
  for (const [token, id] of Object.entries(gpt2)) if (id < 256) vocab[token] = id;
  return { ...vocab, ab: 256, '<|endoftext|>': 257 };
}

describe('loadTokenizer', () => {
  it('returns one cached GPT-2 instance by default, and for a folder without tokenizer files', async () => {
    const gpt2 = await loadTokenizer();
    expect(await loadTokenizer()).toBe(gpt2);
    expect(await loadTokenizer(folder({ 'config.json': '{}' }))).toBe(gpt2);
    expect(gpt2.encode('Hello world')).toEqual([15496, 995]);
  });

  it('serves the cached GPT-2 instance for a folder holding GPT-2\'s own files (writeTokenizerFiles)', async () => {
    const dir = folder();
    writeTokenizerFiles(dir);
    const tok = await loadTokenizer(dir);
    expect(tok).toBe(await loadTokenizer());
    expect(tok.encode('Hello world<|endoftext|>')).toEqual([15496, 995, 50256]);
  });

  it('prefers vocab.json + merges.txt, else reads tokenizer.json', async () => {
    // tokenizer.json has no merges and vocab.json + merges.txt merge "a b", so the ids tell which was read.
    const tokenizerJson = JSON.stringify({ model: { type: 'BPE', vocab: toyVocab(), merges: [] }, added_tokens: [] });
    const jsonOnly = await loadTokenizer(folder({ 'tokenizer.json': tokenizerJson }));
    expect(jsonOnly.encode('ab')).toEqual([64, 65]);
    expect(jsonOnly.vocabSize).toBe(258);

    const both = folder({ 'tokenizer.json': tokenizerJson, 'vocab.json': JSON.stringify(toyVocab()), 'merges.txt': '#version: 0.2\na b\n' });
    expect((await loadTokenizer(both)).encode('ab')).toEqual([256]);
  });

  it('names the malformed file', async () => {
    const badJson = folder({ 'vocab.json': '{"a": 1,', 'merges.txt': '#version: 0.2\n' });
    await expect(loadTokenizer(badJson)).rejects.toThrow(`${join(badJson, 'vocab.json')}: not valid JSON`);

    const badMerges = folder({ 'vocab.json': JSON.stringify(toyVocab()), 'merges.txt': '#version: 0.2\na b\na  b\n' });
    await expect(loadTokenizer(badMerges)).rejects.toThrow(`${join(badMerges, 'merges.txt')} line 3: expected two tokens separated by one space`);

    const badTokenizerJson = folder({ 'tokenizer.json': '{"model": {"type": "BPE", "vocab": [], "merges": []}}' });
    await expect(loadTokenizer(badTokenizerJson)).rejects.toThrow(`${join(badTokenizerJson, 'tokenizer.json')} model.vocab: expected an object`);

    const half = folder({ 'vocab.json': '{}' });
    await expect(loadTokenizer(half)).rejects.toThrow('has vocab.json but no merges.txt');

    await expect(loadTokenizer(join(root, 'missing'))).rejects.toThrow(`tokenizer folder ${join(root, 'missing')} does not exist`);
  });
});
