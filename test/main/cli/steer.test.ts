import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFixtures } from '../features/harvest-fixtures.js';
import { runCli } from './run-cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-steer-'));
const { modelDir, saeDirs } = writeFixtures(root);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const steer = (...extra: string[]) => runCli('steer', '--model', modelDir, '--sae', saeDirs[1], '--prompt', 'The dog ran to', '--max-tokens', '5', '--json', ...extra);

describe('sae-explorer steer', () => {
  it('--json prints baseline and steered text and ids; strength 0 equals the baseline', async () => {
    const zero = await steer('--latent', '2,5', '--strength', '0');
    expect(zero.code).toBe(0);
    const still = JSON.parse(zero.stdout);
    expect(still.baseline_ids).toHaveLength(5);
    expect(still.steered_ids).toEqual(still.baseline_ids);
    expect(still.steered).toBe(still.baseline);
    expect(typeof still.baseline).toBe('string');
    const pushed = JSON.parse((await steer('--latent', '2,5', '--strength', '40')).stdout);
    expect(pushed.baseline_ids).toEqual(still.baseline_ids);
    expect(pushed.steered_ids).not.toEqual(still.baseline_ids);
    const clamped = JSON.parse((await steer('--latent', '2', '--strength', '40', '--mode', 'clamp', '--seed', '3')).stdout);
    expect(clamped.seed).toBe(3);
    expect(clamped.steered_ids).not.toEqual(clamped.baseline_ids);
  });

  it('exits 1 with a one-line reason on a bad flag', async () => {
    const bad = await steer('--latent', '2', '--strength', 'lots');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('sae-explorer: --strength must be a number, got "lots"\n');
    const mode = await steer('--latent', '2', '--strength', '1', '--mode', 'scale');
    expect(mode.stderr).toBe('sae-explorer: --mode must be add or clamp, got "scale"\n');
    const latent = await steer('--latent', '99', '--strength', '1');
    expect(latent.stderr).toBe('sae-explorer: latents[0] is 99; the SAE has latents 0..15\n');
  });
});
