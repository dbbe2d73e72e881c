import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeTokenizerFiles } from '../../../src-main/tokenizer/files.js';

describe('writeTokenizerFiles', () => {
  const dirs: string[] = [];
  const freshDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'tok-files-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('writes GPT-2 vocab.json, merges.txt and tokenizer_config.json and nothing else', () => {
    const dir = freshDir();
    writeTokenizerFiles(dir, { modelMaxLength: 128 });
    expect(readdirSync(dir).sort()).toEqual(['merges.txt', 'tokenizer_config.json', 'vocab.json']);

    const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    expect(Object.keys(vocab)).toHaveLength(50257);
    expect(vocab['<|endoftext|>']).toBe(50256);
    expect(vocab['Hello']).toBe(15496);

    const merges = readFileSync(join(dir, 'merges.txt'));
    // Hugging Face's gpt2 merges.txt: 456,318 bytes, header plus 50,000 merges, trailing newline.
    expect(merges.length).toBe(456318);
    const lines = merges.toString('utf8').split('\n');
    expect(lines[0]).toBe('#version: 0.2');
    expect(lines[1]).toBe('Ġ t');
    expect(lines).toHaveLength(50002);
    expect(lines[50001]).toBe('');

    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(config).toMatchObject({ model_max_length: 128, tokenizer_class: 'GPT2Tokenizer', eos_token: '<|endoftext|>' });
  });

  it('defaults model_max_length to 1024 and rejects a non-integer one', () => {
    const dir = freshDir();
    writeTokenizerFiles(dir);
    expect(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')).model_max_length).toBe(1024);
    expect(() => writeTokenizerFiles(dir, { modelMaxLength: 1.5 })).toThrow(/modelMaxLength must be a positive integer, got 1.5/);
  });

  it('fails on a missing folder without leaving files behind', () => {
    const dir = freshDir();
    expect(() => writeTokenizerFiles(join(dir, 'missing'))).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
