import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { runCli } from './run-cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-attention-'));
const modelDir = createTinyModel(path.join(root, 'model'), { layers: 2, dModel: 16, heads: 2, ctx: 64, seed: 3 });
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('sae-explorer attention', () => {
  it('--json prints per-head scores and, with --layer, that layer\'s patterns', async () => {
    const { code, stdout } = await runCli('attention', '--model', modelDir, '--prompt', 'The dog ran', '--layer', '1', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.tokens).toEqual(['<|endoftext|>', 'The', '·dog', '·ran']);
    for (const key of ['previous_token', 'bos', 'induction']) {
      expect(out[key]).toHaveLength(2);
      expect(out[key][0]).toHaveLength(2);
    }
    expect(out.induction_length).toBe(31);
    expect(out.layer).toBe(1);
    expect(out.patterns).toHaveLength(2);
    for (const row of out.patterns[0]) expect(row.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('refuses a layer the model does not have', async () => {
    const { code, stderr } = await runCli('attention', '--model', modelDir, '--prompt', 'Hi', '--layer', '2');
    expect(code).toBe(1);
    expect(stderr).toBe("sae-explorer: layer 2 is outside the model's layers 0..1\n");
  });
});

describe('sae-explorer lens', () => {
  it('--json prints the top next tokens per layer and position', async () => {
    const { code, stdout } = await runCli('lens', '--model', modelDir, '--prompt', 'The dog ran', '--top', '3', '--no-bos', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.tokens).toEqual(['The', '·dog', '·ran']);
    expect(out.layers.map((l: { hookName: string }) => l.hookName)).toEqual(['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_post', 'blocks.1.hook_resid_post']);
    for (const layer of out.layers) {
      expect(layer.top).toHaveLength(3);
      expect(layer.top[2]).toHaveLength(3);
      expect(layer.top[2][0].prob).toBeGreaterThanOrEqual(layer.top[2][1].prob);
    }
  });
});
