import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFixtures } from '../features/harvest-fixtures.js';
import { runCli } from './run-cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-inspect-'));
const { modelDir, saeDirs } = writeFixtures(root);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('sae-explorer inspect', () => {
  it('--json prints the tokens and their top latents, and one latent everywhere with --latent', async () => {
    const { code, stdout } = await runCli('inspect', '--model', modelDir, '--sae', saeDirs[1], '--text', 'Hello world', '--json', '--top', '2', '--latent', '4');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.tokens).toEqual([15496, 995]);
    expect(result.token_strs).toEqual(['Hello', '·world']);
    expect(result.top).toHaveLength(2);
    for (const row of result.top) {
      expect(row).toHaveLength(2);
      expect(row[0].act).toBeGreaterThanOrEqual(row[1].act);
      expect(row[0].latent).toBeLessThan(16);
    }
    expect(result.latent).toBe(4);
    expect(result.acts).toHaveLength(2);
    result.top.forEach((row: Array<{ latent: number; act: number }>, p: number) => {
      const hit = row.find((e) => e.latent === 4);
      if (hit) expect(result.acts[p]).toBeCloseTo(hit.act, 6);
    });
  });
});
