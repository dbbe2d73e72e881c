import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmConfigFromFlags } from '../../../src-main/cli/commands/lm.js';
import { openSafetensors } from '../../../src-main/io/safetensors.js';
import { validateLmTrainConfig } from '../../../src-main/lm/config.js';
import { readTensorCheckpoint } from '../../../src-main/train/checkpoint.js';
import { trainLm } from '../../../src-main/lm/trainer.js';
import { grammarCorpus, tempOut } from '../lm/fixture.js';
import { runCli as runInProcess } from './run-cli.js';

const BIN = join(import.meta.dirname, '../../../bin/sae-explorer.mjs');
const STEPS = 30;
const RUN = { layers: 1, dModel: 32, heads: 2, ctx: 16, batch: 8, tokens: STEPS * 8 * 16, lr: 3e-3, holdoutEvery: 5, evalTokens: 128, evalEvery: 10, seed: 3 };

function args(out: string, extra: string[] = []): string[] {
  return [
    BIN, 'lm', 'train', '--dataset', grammarCorpus(), '--out', out, '--layers', '1', '--d-model', '32', '--heads', '2', '--ctx', '16', '--batch', '8',
    '--tokens', String(STEPS * 8 * 16), '--lr', '3e-3', '--holdout-every', '5', '--eval-tokens', '128', '--eval-every', '10', '--seed', '3',
    '--checkpoint-every', '1', '--log-every', '10', '--json', ...extra,
  ];
}

function runCli(argv: string[], whileRunning?: (child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
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

function tensorsOf(file: string): Map<string, Buffer> {
  const st = openSafetensors(file);
  return new Map(st.names().map((name) => [name, Buffer.from(st.getFloat32(name).buffer)]));
}

describe('sae-explorer lm train', () => {
  it.each([1, 2])('survives kill -9 on %i thread(s): --resume ends at bitwise the weights of an uninterrupted run', async (threads) => {
    const killed = tempOut();
    const checkpoint = join(killed, 'checkpoint.safetensors');
    const crash = await runCli(args(killed, ['--threads', String(threads)]), (child) => {
      const poll = setInterval(() => {
        if (existsSync(checkpoint)) {
          clearInterval(poll);
          child.kill('SIGKILL');
        }
      }, 10);
      child.on('close', () => clearInterval(poll));
    });
    expect(crash.signal).toBe('SIGKILL');
    const saved = readTensorCheckpoint<{ step: number }>(checkpoint).meta.step;
    expect(saved).toBeGreaterThanOrEqual(1);
    expect(saved).toBeLessThan(STEPS);
    expect(existsSync(join(killed, 'model.safetensors'))).toBe(false);

    const resumed = await runCli(args(killed, ['--threads', String(threads), '--resume']));
    expect(resumed.stderr).toMatch(new RegExp(`resumed .* at step ${saved} of ${STEPS}`));
    expect(resumed.stderr).toMatch(new RegExp(`step ${STEPS}/${STEPS} .* tokens/s, ETA`));
    expect(resumed.code).toBe(0);
    expect(readdirSync(killed).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const line = JSON.parse(resumed.stdout);
    expect(Object.keys(line)).toEqual(['out', 'steps', 'tokens', 'train_loss', 'held_out_loss', 'unigram_loss', 'tokens_per_s', 'parameters']);
    expect(line).toMatchObject({ steps: STEPS, tokens: STEPS * 8 * 16 });

    const straight = tempOut();
    await trainLm({ ...RUN, dataset: grammarCorpus(), out: straight, checkpointEvery: 0, threads });
    const a = tensorsOf(join(straight, 'model.safetensors'));
    const b = tensorsOf(join(killed, 'model.safetensors'));
    for (const [name, bytes] of a) expect(b.get(name)!.equals(bytes), name).toBe(true);
    // Two CLI processes (one started twice) and a straight run: ~15 s on an idle 2-core machine, over
    // the default 120 s when other work shares it.
  }, 360_000);

  it('turns flags into the trainer config and names a bad flag', async () => {
    const config = validateLmTrainConfig(
      lmConfigFromFlags({ dataset: 'sotu', out: 'o', tokens: '2M', layers: '4', dModel: '128', heads: '4', ctx: '128', batch: '16', lr: '6e-4', keepAt: '0.05,0.25', seed: '7', threads: '2' }),
    );
    expect(config).toMatchObject({ tokens: 2_000_000, dModel: 128, lr: 6e-4, keepAt: [0.05, 0.25], seed: 7, vocab: 'corpus', resume: false, threads: 2 });
    expect(config.tokenizer).toBeUndefined();
    expect(validateLmTrainConfig(lmConfigFromFlags({ dataset: 'sotu', out: 'o', tokens: '2M', tokenizer: 'tok' })).tokenizer).toBe('tok');
    const bad = await runInProcess('lm', 'train', '--out', tempOut(), '--tokens', '1k', '--heads', '3');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/"heads" = 3 is invalid; expected a divisor of dModel \(128\)/);
  });
});

describe('sae-explorer lm tokenizer', () => {
  it('fits a BPE on the training documents, prints what it did, and refuses a folder that holds a tokenizer', async () => {
    const out = join(tempOut(), 'tokenizer');
    const fit = await runInProcess('lm', 'tokenizer', '--dataset', grammarCorpus(), '--vocab-size', '280', '--out', out, '--holdout-every', '5', '--json');
    expect(fit.code).toBe(0);
    const line = JSON.parse(fit.stdout);
    expect(Object.keys(line)).toEqual(['out', 'vocab_size', 'merges', 'documents', 'words', 'distinct_words', 'bytes', 'tokens', 'tokens_per_byte', 'read_s', 'fit_s']);
    // The fixture's 60 documents, every 5th held out.
    expect(line).toMatchObject({ out, vocab_size: 280, merges: 23, documents: 48 });
    expect(line.tokens_per_byte).toBeCloseTo(line.tokens / line.bytes, 12);
    expect(readdirSync(out).sort()).toEqual(['merges.txt', 'tokenizer_config.json', 'vocab.json']);

    const again = await runInProcess('lm', 'tokenizer', '--dataset', grammarCorpus(), '--vocab-size', '280', '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${out} already holds a tokenizer (vocab.json, merges.txt); choose another folder or remove them`);
    const small = await runInProcess('lm', 'tokenizer', '--vocab-size', '257', '--out', join(tempOut(), 'small'));
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/"vocabSize" = 257 is invalid; expected an integer from 258/);

    const text = await runInProcess('lm', 'tokenizer', '--dataset', grammarCorpus(), '--vocab-size', '280', '--out', join(tempOut(), 'text'), '--holdout-every', '5');
    expect(text.stdout).toMatch(/^fitted 280 tokens \(23 merges\) on 48 training documents of .* in \d+\.\d s after \d+\.\d s reading\nthe training text: .* bytes → .* tokens \(0\.\d{3} tokens\/byte, \d\.\d{3} tokens\/word\) → /);
  });
});
