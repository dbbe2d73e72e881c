// The shipped model is reproducible by the app's own commands (docs/demo-model.md): from the run
// record beside it, the tokenizer is fitted again and must come out byte for byte as shipped, and the
// first steps of the same training run (same config: seed, data order, schedule, threads) must report
// the training losses the record holds for them. The whole 10M-token run takes over an hour; its first
// 20 steps exercise the same initialisation, data order and arithmetic.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend.js';
import { fitLmTokenizer } from '../../../src-main/lm/tokenizer.js';
import { LM_TRAINING_FILE, trainLm, type LossPoint } from '../../../src-main/lm/trainer.js';
import type { LmTrainConfig } from '../../../src-main/lm/config.js';

const SHIPPED = join(import.meta.dirname, '../../../resources/models/sotu-gpt2');
const STEPS = 20;

interface RunRecord {
  config: LmTrainConfig;
  train: LossPoint[];
}

const record = JSON.parse(readFileSync(join(SHIPPED, LM_TRAINING_FILE), 'utf8')) as RunRecord;
const vocabSize = (JSON.parse(readFileSync(join(SHIPPED, 'config.json'), 'utf8')) as { vocab_size: number }).vocab_size;

beforeAll(async () => {
  await initEngine();
});

describe('the shipped model, from its run record', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shipped-rerun-'));
  const tokenizer = join(dir, 'tokenizer');

  it('fits the same tokenizer files', async () => {
    const { dataset, textField, holdoutEvery } = record.config;
    await fitLmTokenizer({ dataset, textField, holdoutEvery, vocabSize, out: tokenizer });
    for (const file of ['vocab.json', 'merges.txt']) {
      expect(readFileSync(join(tokenizer, file)).equals(readFileSync(join(SHIPPED, file))), file).toBe(true);
    }
  });

  it(`reports the recorded training losses over its first ${STEPS} steps`, async () => {
    const recorded = record.train.filter((p) => p.step <= STEPS);
    expect(recorded.length).toBeGreaterThanOrEqual(2);
    const seen: LossPoint[] = [];
    const stop = new AbortController();
    const config = { ...record.config, tokenizer, out: join(dir, 'model'), resume: false, keepAt: [] };
    await trainLm(config, {
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type !== 'progress') return;
        seen.push({ step: e.step, tokens: e.tokens, loss: e.loss });
        if (e.step >= STEPS) stop.abort();
      },
    });
    const ours = seen.filter((p) => p.step <= STEPS);
    console.log('recorded', recorded.map((p) => p.loss), 'rerun', ours.map((p) => p.loss));
    expect(ours.map((p) => p.step)).toEqual(recorded.map((p) => p.step));
    // The same machine class repeats the bytes; another CPU's ONNX Runtime kernels may round differently.
    ours.forEach((p, i) => expect(p.loss, `mean training loss to step ${p.step}`).toBeCloseTo(recorded[i].loss, 4));
  }, 300_000);
});
