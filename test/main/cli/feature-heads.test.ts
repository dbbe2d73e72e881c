import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixtures } from '../features/harvest-fixtures.js';
import { runCli } from './run-cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-feature-heads-'));
const { modelDir, familyDir, saeDirs } = writeFixtures(root);
const db = path.join(root, 'features.db');
beforeAll(async () => {
  const harvest = await runCli('harvest', '--model', modelDir, '--sae', familyDir, '--tokens', '200', '--db', db, '--top', '4');
  expect(harvest.code).toBe(0);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface Json {
  hook_name: string;
  contexts: Array<{ tokens: number[]; position: number; pre_activation: number; bias: number }>;
  components: Array<{ name: string; mean: number; values: number[] }>;
}

const addsUp = (result: Json) =>
  result.contexts.forEach((c, i) => expect(result.components.reduce((s, part) => s + part.values[i]!, 0) + c.bias).toBeCloseTo(c.pre_activation, 4));

describe('sae-explorer feature-heads', () => {
  it('--db reads the top contexts at their strongest token; the parts add up to each pre-activation', async () => {
    const page = JSON.parse((await runCli('feature', '--db', db, '--sae', saeDirs[1]!, '--latent', '5', '--json')).stdout);
    const { code, stdout, stderr } = await runCli('feature-heads', '--model', modelDir, '--sae', saeDirs[1]!, '--latent', '5', '--db', db, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Json;
    expect(result.hook_name).toBe('blocks.1.hook_resid_post');
    expect(result.contexts.map((c) => [c.tokens, c.position])).toEqual(page.top.map((c: { tokens: number[]; max_index: number }) => [c.tokens, c.max_index]));
    expect(result.components.map((c) => c.name).sort()).toEqual(['L0 MLP', 'L0 attn bias', 'L0H0', 'L0H1', 'L1 MLP', 'L1 attn bias', 'L1H0', 'L1H1', 'embed', 'pos_embed'].sort());
    addsUp(result);
  });

  it('--prompt reads the token with the largest pre-activation; text mode names the parts', async () => {
    const json = JSON.parse((await runCli('feature-heads', '--model', modelDir, '--sae', saeDirs[0]!, '--latent', '2', '--prompt', 'The dog ran to the park', '--json')).stdout) as Json;
    expect(json.contexts).toHaveLength(1);
    addsUp(json);
    const text = await runCli('feature-heads', '--model', modelDir, '--sae', saeDirs[0]!, '--latent', '2', '--prompt', 'The dog ran to the park');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^latent 2 at blocks.1.hook_resid_post, over 1 context; frozen: nothing/);
    expect(text.stdout).toContain(json.components[0]!.name);
  });

  it('wants exactly one of --db and --prompt', async () => {
    const { code, stderr } = await runCli('feature-heads', '--model', modelDir, '--sae', saeDirs[0]!, '--latent', '2');
    expect(code).toBe(1);
    expect(stderr).toMatch(/give exactly one of --db \(the latent's top contexts\) and --prompt/);
  });
});
