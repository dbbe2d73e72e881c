// The language model the app ships (resources/models/sotu-gpt2, trained by the command in
// docs/demo-model.md): it loads through the app's own loader, scores its run's held-out positions at
// the loss its run record states, and writes English greedily.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend.js';
import { evaluateLm, readEvalData, resolveEvalSettings } from '../../../src-main/lm/eval.js';
import { LM_TRAINING_FILE } from '../../../src-main/lm/trainer.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';

const SHIPPED = join(import.meta.dirname, '../../../resources/models/sotu-gpt2');

interface RunRecord {
  heldOut: Array<{ step: number; loss: number }>;
}

// `sae-explorer lm sample --model resources/models/sotu-gpt2 --prompt "The state of the Union is" --max-tokens 30`
const PROMPT = 'The state of the Union is';
const GREEDY = ' a matter of the greatest importance. The greatest importance of the greatest importance of the country, and the greatest importance of the greatest';

let model: Gpt2;

beforeAll(async () => {
  await initEngine();
  model = await loadGpt2(SHIPPED);
});

describe('the shipped language model', () => {
  it('scores its run\'s held-out positions at the recorded final held-out loss, and beats the bigram there', async () => {
    const record = JSON.parse(readFileSync(join(SHIPPED, LM_TRAINING_FILE), 'utf8')) as RunRecord;
    const recorded = record.heldOut[record.heldOut.length - 1].loss;
    const settings = resolveEvalSettings(SHIPPED, model.config.nPositions);
    const r = await evaluateLm(model, SHIPPED, settings, await readEvalData(settings, await loadTokenizer(SHIPPED)));
    expect(r.weightDtypes).toEqual(['F16']);
    expect(r.positions).toBe(16384);
    // The record is the F32 model's, through the trainer's compact softmax; F16 weights move it by ~1e-5.
    expect(Math.abs(r.modelLoss - recorded)).toBeLessThan(1e-3);
    expect(r.modelLoss).toBeLessThan(r.bigramLoss);
    // 16,384 positions through the full softmax and the bigram fitted on the training tokens: seconds
    // on an idle core, more when vitest's other workers share it, so it gets room beyond the default.
  }, 300_000);

  it('continues a prompt greedily with the text docs/demo-model.md shows', async () => {
    const tokenizer = await loadTokenizer(SHIPPED);
    // As `lm sample` feeds it: training windows start with <|endoftext|>.
    const prompt = [tokenizer.eotId, ...tokenizer.encode(PROMPT)];
    const out = model.generate(prompt, { maxNewTokens: 30, temperature: 0 });
    expect(tokenizer.decode(out.slice(prompt.length))).toBe(GREEDY);
  });
});
