import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixtures } from '../features/harvest-fixtures.js';
import { runCli } from './run-cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-feature-'));
const { modelDir, familyDir, saeDirs } = writeFixtures(root);
const db = path.join(root, 'features.db');
beforeAll(async () => {
  const harvest = await runCli('harvest', '--model', modelDir, '--sae', familyDir, '--tokens', '200', '--db', db, '--top', '4');
  expect(harvest.code).toBe(0);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('sae-explorer feature', () => {
  it('--json prints the feature page with the contract keys, by folder or by id', async () => {
    const { code, stdout } = await runCli('feature', '--db', db, '--sae', saeDirs[1], '--latent', '5', '--json');
    expect(code).toBe(0);
    const page = JSON.parse(stdout);
    for (const key of ['latent', 'density', 'max_act', 'top', 'logits_pos', 'logits_neg', 'neighbors']) expect(page).toHaveProperty(key);
    expect(page.latent).toBe(5);
    expect(page.density).toBeGreaterThan(0);
    expect(page.top.length).toBeGreaterThan(0);
    expect(page.top.length).toBeLessThanOrEqual(4);
    for (const c of page.top) {
      expect(Object.keys(c)).toEqual(['tokens', 'acts', 'max_index']);
      expect(c.tokens).toHaveLength(c.acts.length);
    }
    expect(page.top[0].acts[page.top[0].max_index]).toBeCloseTo(page.max_act, 5);
    expect(page.logits_pos).toHaveLength(10);
    expect(Object.keys(page.logits_pos[0])).toEqual(['id', 'token', 'value']);
    expect(page.logits_pos[0].value).toBeGreaterThanOrEqual(page.logits_pos[9].value);
    expect(page.logits_neg[0].value).toBeLessThanOrEqual(page.logits_neg[9].value);
    expect(page.neighbors.map((n: { sae: number }) => n.sae)).toEqual([...Array(10).fill(2), ...Array(5).fill(1)]);
    expect(Object.keys(page.neighbors[0])).toEqual(['sae', 'latent', 'cosine']);

    const byId = await runCli('feature', '--db', db, '--sae', '2', '--latent', '5', '--json');
    expect(JSON.parse(byId.stdout)).toEqual(page);
  });

  it('prints readable text without --json and fails clearly on a latent out of range', async () => {
    const text = await runCli('feature', '--db', db, '--sae', '1', '--latent', '0');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^latent 0 of SAE 1 \(d_sae 8, blocks\.1\.hook_resid_post\)\ndensity /);
    const bad = await runCli('feature', '--db', db, '--sae', '1', '--latent', '8', '--json');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('sae-explorer: latent 8 is out of range: SAE 1 has latents 0..7\n');
  });
});
