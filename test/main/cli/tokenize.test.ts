import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { shippedGpt2Files } from '../../../src-main/tokenizer/shipped.js';

const root = mkdtempSync(path.join(tmpdir(), 'cli-tokenize-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));


describe('sae-explorer tokenize', () => {
  it('prints {"ids", "tokens"} with --json, without BOS', async () => {
    expect(await runCli('tokenize', '--text', 'Hello world', '--json')).toEqual({ code: 0, stdout: '{"ids":[15496,995],"tokens":["Hello"," world"]}\n', stderr: '' });
  });

  it('gives each token its decoded string, U+FFFD for a cut multi-byte character', async () => {
    const out = JSON.parse((await runCli('tokenize', '--text', 'a\n\n 🤗<|endoftext|>', '--json')).stdout);
    expect(out.ids).toEqual([64, 628, 12520, 97, 245, 50256]);
    expect(out.tokens).toEqual(['a', '\n\n', ' \uFFFD', '\uFFFD', '\uFFFD', '<|endoftext|>']);
  });

  it('prints a table of position, id and visible token without --json', async () => {
    const { code, stdout } = await runCli('tokenize', '--text', 'Hi  there\n');
    expect(code).toBe(0);
    expect(stdout.split('\n')).toEqual(['pos     id  token', '  0  17250  Hi', '  1    220  ·', '  2    612  ·there', '  3    198  ↵', '4 tokens', '']);
  });

  it("uses a model folder's own tokenizer with --model", async () => {
    const dir = path.join(root, 'toy');
    mkdirSync(dir);
    const gpt2 = JSON.parse(readFileSync(shippedGpt2Files().vocabPath, 'utf8')) as Record<string, number>;
    const vocab = Object.fromEntries(Object.entries(gpt2).filter(([, id]) => id < 256));
    writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify({ ...vocab, ab: 256, '<|endoftext|>': 257 }));
    writeFileSync(path.join(dir, 'merges.txt'), '#version: 0.2\na b\n');
    expect(JSON.parse((await runCli('tokenize', '--text', 'abc', '--json', '--model', dir)).stdout)).toEqual({ ids: [256, 66], tokens: ['ab', 'c'] });
  });

  it('fails with a one-line reason on a malformed tokenizer file', async () => {
    const dir = path.join(root, 'broken');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'vocab.json'), '{"a":');
    writeFileSync(path.join(dir, 'merges.txt'), '#version: 0.2\n');
    const { code, stdout, stderr } = await runCli('tokenize', '--text', 'abc', '--model', dir);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(new RegExp(`^sae-explorer: ${path.join(dir, 'vocab.json').replace(/[.]/g, '\\.')}: not valid JSON .*\\n$`));
  });

  it('exits 2 without --text', async () => {
    const { code, stderr } = await runCli('tokenize', '--json');
    expect(code).toBe(2);
    expect(stderr).toMatch(/required option '--text <text>' not specified/);
  });
});
