import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCount, runConfigFromFlags } from '../../../src-main/cli/commands/train.js';
import { readCheckpoint } from '../../../src-main/train/checkpoint.js';
import { validateTrainRunConfig } from '../../../src-main/train/config.js';
import { trainFamily } from '../../../src-main/train/trainer.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { maxAbsDiff, saeWeights, tempOut, tinyModelDir } from '../train/fixture.js';

const BIN = join(import.meta.dirname, '../../../bin/sae-explorer.mjs');
const STEPS = 40;

function args(out: string, extra: string[] = []): string[] {
  return [
    BIN, 'train', '--model', tinyModelDir(), '--hook', 'blocks.0.hook_resid_post', '--latents', '64,128', '--k', '4',
    '--tokens', String(STEPS * 32), '--batch', '32', '--context', '16', '--eval-tokens', '15', '--checkpoint-every', '1',
    '--log-every', '20', '--out', out, '--json', ...extra,
  ];
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runCli(argv: string[], whileRunning?: (child: ReturnType<typeof spawn>) => void): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    whileRunning?.(child);
  });
}

const KEYS = ['d_sae', 'k', 'train_fvu', 'eval_fvu', 'train_l0', 'eval_l0', 'dead_frac', 'delta_lm_loss', 'ce_loss_score', 'tokens', 'tokens_per_s'];

describe('sae-explorer train', () => {
  it('survives kill -9: resume prints one JSON line per size and ends at the uninterrupted weights', async () => {
    const killed = tempOut();
    const checkpoint = join(killed, 'checkpoint.safetensors');
    const crash = await runCli(args(killed), (child) => {
      const poll = setInterval(() => {
        if (existsSync(checkpoint)) {
          clearInterval(poll);
          child.kill('SIGKILL');
        }
      }, 10);
      child.on('close', () => clearInterval(poll));
    });
    expect(crash.signal).toBe('SIGKILL');
    const saved = readCheckpoint<{ step: number }>(checkpoint).run.step;
    expect(saved).toBeGreaterThanOrEqual(1);
    expect(saved).toBeLessThan(STEPS);
    expect(existsSync(join(killed, '64'))).toBe(false);

    const resumed = await runCli(args(killed, ['--resume']));
    expect(resumed.stderr).toMatch(new RegExp(`resumed .* at step ${saved} of ${STEPS}`));
    expect(resumed.stderr).toMatch(new RegExp(`step ${STEPS}/${STEPS}`));
    expect(resumed.code).toBe(0);
    expect(readdirSync(killed).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const lines = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.d_sae)).toEqual([64, 128]);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(KEYS);
      expect(line).toMatchObject({ k: 4, train_l0: 4, eval_l0: 4, tokens: STEPS * 32 });
      expect(line.eval_fvu).toBeGreaterThan(0);
      expect(line.train_fvu).toBeGreaterThan(0);
      expect(line.tokens_per_s).toBeGreaterThan(0);
      expect(Number.isFinite(line.delta_lm_loss)).toBe(true);
    }

    // The same run uninterrupted, in this process (the flags above as a run config).
    const straight = tempOut();
    const model = await loadGpt2(tinyModelDir());
    await trainFamily(
      { model: tinyModelDir(), hook: 'blocks.0.hook_resid_post', latents: [64, 128], k: 4, tokens: STEPS * 32, batch: 32, context: 16, evalTokens: 0, checkpointEvery: 0, out: straight },
      { model },
    );
    model.dispose();
    for (const n of [64, 128]) {
      const a = saeWeights(join(straight, String(n)));
      const b = saeWeights(join(killed, String(n)));
      for (const name of ['W_enc', 'W_dec', 'b_enc', 'b_dec']) expect(maxAbsDiff(a[name], b[name])).toBeLessThan(1e-5);
    }
  });

  it('turns flags into a run config: counts with suffixes, lists, relu, and clear errors', () => {
    expect(parseCount('--tokens', '10M')).toBe(10_000_000);
    expect(parseCount('--tokens', '2.5k')).toBe(2500);
    expect(parseCount('--tokens', '1e6')).toBe(1_000_000);
    expect(() => parseCount('--tokens', 'lots')).toThrow(/--tokens must be a whole number such as 4096, 1e6 or 10M, got "lots"/);
    const config = validateTrainRunConfig(
      runConfigFromFlags({ model: 'gpt2', dataset: 'sotu', hook: 'blocks.8.hook_resid_post', latents: '1024,4096', k: '32', tokens: '1M', out: 'o', arch: 'relu', multiTopk: false, lr: '3e-4', auxK: '0' }),
    );
    expect(config).toMatchObject({ latents: [1024, 4096], tokens: 1_000_000, arch: 'relu', lr: 3e-4, auxK: 0, multiTopK: false });
    const flags = { model: 'gpt2', dataset: 'sotu', hook: 'blocks.8.hook_resid_post', latents: '1024,4096', k: '32', tokens: '1M', out: 'o' };
    expect(validateTrainRunConfig(runConfigFromFlags({ ...flags, arch: 'jumprelu', l0Coefficient: '3e-3' }))).toMatchObject({ arch: 'jumprelu', l0Coefficient: 3e-3 });
    expect(validateTrainRunConfig(runConfigFromFlags({ ...flags, arch: 'gated', l1Coefficient: '0.05' }))).toMatchObject({ arch: 'gated', l1Coefficient: 0.05 });
    expect(validateTrainRunConfig(runConfigFromFlags({ ...flags, arch: 'matryoshka' }))).toMatchObject({ arch: 'matryoshka', latents: [1024, 4096] });
    expect(() => runConfigFromFlags({ ...flags, arch: 'jumprelu', l0Coefficient: 'small' })).toThrow(/--l0-coefficient must be a number, got "small"/);
  });
});
