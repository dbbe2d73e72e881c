import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend.js';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { randomBundle } from '../../fixtures/sae/random-bundle.js';
import { runCli } from './run-cli.js';

let family: string;

beforeAll(async () => {
  await initEngine();
  family = mkdtempSync(path.join(tmpdir(), 'sae-splitting-'));
  for (const [dSae, seed] of [[12, 1], [24, 2]]) saveSaeLens(path.join(family, String(dSae)), randomBundle({ architecture: 'topk', dIn: 6, dSae, seed }));
  writeFileSync(path.join(family, 'family.json'), JSON.stringify({ saes: [{ d_sae: 24, path: '24' }, { d_sae: 12, path: '12' }] }));
});

describe('sae-explorer splitting', () => {
  it('prints, for each pair of sizes, the latents kept, split and without counterpart', async () => {
    const json = await runCli('splitting', '--family', family, '--min-cosine', '0.3', '--json');
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(r.min_cosine).toBe(0.3);
    expect(r.pairs).toHaveLength(1);
    const [p] = r.pairs;
    const name = path.basename(family);
    expect(p).toMatchObject({ small: `${name}/12`, large: `${name}/24` });
    expect(p.kept + p.split + p.none).toBe(12);
    expect(p.new_in_large).toBeGreaterThanOrEqual(0);
    expect(p.new_in_large).toBeLessThanOrEqual(24);

    const text = await runCli('splitting', '--family', family, '--min-cosine', '0.3');
    expect(text.stdout).toContain(`${name}/12 → ${name}/24: kept ${p.kept} `);
  });

  it('names a folder without family.json, a checkpoints set and a bad bar', async () => {
    expect((await runCli('splitting', '--family', path.join(family, '12'))).stderr).toMatch(/family\.json: not valid JSON|family\.json/);
    const set = mkdtempSync(path.join(tmpdir(), 'sae-splitting-set-'));
    saveSaeLens(path.join(set, 'a'), randomBundle({ architecture: 'topk', dIn: 6, dSae: 12 }));
    writeFileSync(path.join(set, 'family.json'), JSON.stringify({ kind: 'checkpoints', saes: [{ d_sae: 12, path: 'a', label: 'a', model: 'step-1', model_path: '/m/step-1' }] }));
    expect((await runCli('splitting', '--family', set)).stderr).toContain('is a checkpoints set: its members live in different bases');
    expect((await runCli('splitting', '--family', family, '--min-cosine', 'high')).stderr).toContain('--min-cosine must be a number, got "high"');
  });
});
