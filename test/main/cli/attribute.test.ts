import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { randomTopKSae, writeFixtures } from '../features/harvest-fixtures.js';
import { runCli } from './run-cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-attribute-'));
const { modelDir, saeDirs } = writeFixtures(root);
const early = path.join(root, 'early');
saveSaeLens(early, { ...randomTopKSae(16, 5), spec: { ...randomTopKSae(16, 5).spec, hookName: 'blocks.0.hook_resid_post' } });
const saes = [saeDirs[0], early];
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('sae-explorer attribute', () => {
  it('--json prints ranked latents per site whose parts add up to the target logit', async () => {
    const { code, stdout, stderr } = await runCli('attribute', '--model', modelDir, '--sae', saes.join(','), '--prompt', 'The dog ran to', '--target', ' the', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.target).toEqual({ id: 262, token: '·the' });
    expect(result.promptTokens).toEqual(['The', '·dog', '·ran', '·to']);
    expect(result.sites.map((s: { sae: string }) => s.sae)).toEqual(saes);
    for (const site of result.sites) {
      expect(site.latents).toHaveLength(3);
      const sum = site.latents.reduce((a: number, l: { direct: number }) => a + l.direct, 0) + site.error.direct + site.bias + site.rest + result.lnFinalBias;
      expect(sum).toBeCloseTo(result.logit, 3);
    }
    expect(result.topTokens).toHaveLength(10);
  });

  it('refuses a target that is not one token, listing its pieces', async () => {
    const { code, stderr } = await runCli('attribute', '--model', modelDir, '--sae', saeDirs[0], '--prompt', 'Hi', '--target', ' Parisian');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^sae-explorer: target " Parisian" is 2 tokens \("·Paris", "ian"\); give the text of exactly one token/);
  });
});
