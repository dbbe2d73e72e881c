import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src-main/store/open.js';
import { featurePage, listSaes } from '../../../src-main/store/queries.js';
import { writeFixtures } from '../features/harvest-fixtures.js';
import { runCli } from './run-cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-harvest-'));
const { modelDir, familyDir, saeDirs } = writeFixtures(root);
const db = path.join(root, 'features.db');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Starts the real CLI in a child process and SIGKILLs it as soon as it reports harvest progress. */
function killMidHarvest(args: string[]): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve('bin/sae-explorer.mjs'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/harvest pass 1\/2/.test(stderr)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ signal, stderr }));
  });
}

describe('sae-explorer harvest', () => {
  it('harvests one SAE, then survives a kill -9 mid-harvest of the next, and a rerun finishes the family', async () => {
    const first = await runCli('harvest', '--model', modelDir, '--sae', saeDirs[0], '--tokens', '300', '--db', db, '--top', '5', '--json');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary.tokens).toBe(315);
    expect(summary.saes).toEqual([{ id: 1, path: saeDirs[0], d_sae: 8, skipped: false, dead_frac: expect.any(Number) }]);
    expect(first.stderr).toMatch(/harvest pass 2\/2 \(contexts\): \d+\/5 windows, \d+ tokens\/s, ETA/);

    const killed = await killMidHarvest(['harvest', '--model', modelDir, '--sae', saeDirs[1], '--tokens', '10000', '--db', db, '--top', '5']);
    expect(killed.signal).toBe('SIGKILL');

    const store = openStore(db);
    expect(store.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(listSaes(store).map((s) => [s.dSae, s.harvest])).toEqual([
      [8, 'complete'],
      [16, 'running'],
    ]);
    const page = featurePage(store, 1, 0);
    expect(page.top.length).toBeGreaterThan(0);
    store.close();

    const rerun = await runCli('harvest', '--model', modelDir, '--sae', familyDir, '--tokens', '300', '--db', db, '--top', '5', '--json');
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout).saes.map((s: { d_sae: number; skipped: boolean }) => [s.d_sae, s.skipped])).toEqual([
      [8, true],
      [16, false],
    ]);
    const after = openStore(db, { readonly: true });
    expect(listSaes(after).map((s) => s.harvest)).toEqual(['complete', 'complete']);
    expect((after.prepare('SELECT count(*) AS n FROM latents WHERE sae_id = 2').get() as { n: number }).n).toBe(16);
    expect(featurePage(after, 1, 0).relatives.map((r) => r.dSae)).toEqual([16, 16, 16, 16, 16]);
    after.close();
  });

  it('fails with a one-line reason for a bad --tokens and a missing SAE folder', async () => {
    const bad = await runCli('harvest', '--model', modelDir, '--sae', saeDirs[0], '--tokens', 'lots', '--db', db);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('sae-explorer: --tokens must be a positive integer, got "lots"\n');
    const missing = await runCli('harvest', '--model', modelDir, '--sae', path.join(root, 'nope'), '--tokens', '10', '--db', db);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--sae .*nope: no such folder/);
  });
});
