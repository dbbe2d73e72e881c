import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initEngine, tf } from '../../../src-main/engine/backend.js';
import { validateLmTrainConfig } from '../../../src-main/lm/config.js';
import { readLmData } from '../../../src-main/lm/data.js';
import type { LmTrainEvent } from '../../../src-main/lm/events.js';
import { AdamW } from '../../../src-main/lm/optimizer.js';
import { LM_CHECKPOINT_FILE, LM_TRAINING_FILE, trainLm } from '../../../src-main/lm/trainer.js';
import { readTensorCheckpoint } from '../../../src-main/train/checkpoint.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { openSafetensors } from '../../../src-main/io/safetensors.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import { evaluateLm, readEvalData, resolveEvalSettings } from '../../../src-main/lm/eval.js';
import { fitLmTokenizer } from '../../../src-main/lm/tokenizer.js';
import { grammarCorpus, lmConfig, tempOut } from './fixture.js';

beforeAll(async () => {
  await initEngine();
});

/** Held-out cross-entropy of an exported folder, through the app's own loader and its full 50,257-way logits. */
async function exportedHeldOutLoss(dir: string, config: Record<string, unknown>): Promise<number> {
  const c = validateLmTrainConfig(config);
  const { heldOut } = await readLmData(c, await loadTokenizer(), 1);
  const model = await loadGpt2(dir);
  let sum = 0;
  for (let w = 0; w < heldOut.count; w++) {
    const window = Array.from(heldOut.tokens.subarray(w * heldOut.contextSize, (w + 1) * heldOut.contextSize));
    const { logits } = model.run(tf.tensor2d(window.slice(0, c.ctx), [1, c.ctx], 'int32'));
    const logProbs = tf.tidy(() => tf.logSoftmax(logits!.reshape([c.ctx, model.config.vocabSize])).arraySync() as number[][]);
    logits!.dispose();
    for (let p = 0; p < c.ctx; p++) sum -= logProbs[p][window[p + 1]];
  }
  model.dispose();
  return sum / (heldOut.count * c.ctx);
}

function tensorsOf(file: string): Map<string, Float32Array> {
  const st = openSafetensors(file);
  return new Map(st.names().map((name) => [name, st.getFloat32(name)]));
}

describe('trainLm', () => {
  it('beats the unigram baseline on held-out documents and writes a GPT-2 folder the app loads with the same loss', async () => {
    const out = tempOut();
    const config = lmConfig(out, { keepAt: [0.5] });
    const events: LmTrainEvent[] = [];
    const outcome = await trainLm(config, { onEvent: (e) => events.push(e) });
    expect(outcome.status).toBe('finished');
    const result = outcome.result!;
    console.log('held-out loss', result.heldOutLoss, 'unigram', result.unigramLoss);
    expect(result.heldOutLoss).toBeLessThan(result.unigramLoss - 0.5);
    expect(result).toMatchObject({ steps: 100, tokens: 100 * 32 * 16 });

    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.map((e) => e.step)).toEqual([25, 50, 75, 100]);
    for (const e of progress) {
      expect(e.tokensPerSecond).toBeGreaterThan(0);
      expect(Number.isFinite(e.loss) && Number.isFinite(e.etaSeconds) && e.gradNorm > 0).toBe(true);
    }
    expect(progress.at(-1)!.etaSeconds).toBe(0);
    // Warm-up (5 steps) then cosine decay to lr·0.1 at the last step.
    expect(progress.at(-1)!.lr).toBeCloseTo(2e-3, 10);
    const evals = events.filter((e) => e.type === 'eval');
    expect(evals.map((e) => e.step)).toEqual([50, 100]);
    expect(evals[1].heldOutLoss).toBe(result.heldOutLoss);
    // The record keeps both curves, for `lm plot`.
    const record = JSON.parse(readFileSync(join(out, LM_TRAINING_FILE), 'utf8'));
    expect(record.train).toEqual(progress.map((e) => ({ step: e.step, tokens: e.tokens, loss: e.loss })));
    expect(record.heldOut).toEqual(evals.map((e) => ({ step: e.step, tokens: e.tokens, loss: e.heldOutLoss })));

    for (const file of ['config.json', 'model.safetensors', 'generation_config.json', 'vocab.json', 'merges.txt', 'tokenizer_config.json', LM_TRAINING_FILE]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const names = openSafetensors(join(out, 'model.safetensors')).names();
    expect(names).toContain('h.0.attn.c_attn.weight');
    expect(openSafetensors(join(out, 'model.safetensors')).info('h.0.mlp.c_fc.weight').shape).toEqual([32, 128]);
    expect(openSafetensors(join(out, 'model.safetensors')).info('wte.weight').shape).toEqual([50257, 32]);
    // The loss the trainer computed (compact vocabulary + shared row) is the exported model's full-vocabulary
    // loss, to float32 rounding (its softmax sums 50,257 terms where ours adds log(absent)).
    expect(await exportedHeldOutLoss(out, config)).toBeCloseTo(result.heldOutLoss, 3);

    const snapshot = events.find((e) => e.type === 'snapshot');
    expect(snapshot).toMatchObject({ step: 50, tokens: 50 * 32 * 16, dir: join(out, 'snapshots', 'step-50') });
    const early = await loadGpt2(join(out, 'snapshots', 'step-50'));
    early.dispose();

    // Continuing from the exported folder (full vocabulary, as it must be there).
    const next = tempOut();
    const continued = await trainLm(lmConfig(next, { from: out, tokens: 2 * 32 * 16, evalEvery: 0, lr: 1e-4 }));
    expect(continued.result!.heldOutLoss).toBeLessThan(result.heldOutLoss + 0.05);
    expect(existsSync(join(next, 'model.safetensors'))).toBe(true);
  });

  it('trains on a fitted BPE vocabulary with --tokenizer and exports a GPT-2 folder carrying it', async () => {
    const tokenizerDir = join(tempOut(), 'tokenizer');
    const fit = await fitLmTokenizer({ dataset: grammarCorpus(), textField: 'text', holdoutEvery: 5, vocabSize: 300, out: tokenizerDir });
    const fitted = await loadTokenizer(tokenizerDir);
    expect(fitted.vocabSize).toBe(fit.vocabSize);
    const out = tempOut();
    const config = lmConfig(out, { tokenizer: tokenizerDir, keepAt: [0.5] });
    const outcome = await trainLm(config);
    const result = outcome.result!;
    console.log('held-out loss', result.heldOutLoss, 'unigram', result.unigramLoss, 'vocabulary', fit.vocabSize);
    expect(result.heldOutLoss).toBeLessThan(result.unigramLoss - 0.5);

    const hfConfig = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(hfConfig).toMatchObject({ vocab_size: fit.vocabSize, bos_token_id: fitted.eotId, eos_token_id: fitted.eotId });
    expect(openSafetensors(join(out, 'model.safetensors')).info('wte.weight').shape).toEqual([fit.vocabSize, 32]);
    for (const dir of [out, join(out, 'snapshots', 'step-50')]) {
      for (const file of ['vocab.json', 'merges.txt']) expect(readFileSync(join(dir, file)).equals(readFileSync(join(tokenizerDir, file))), `${dir}/${file}`).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')).model_max_length).toBe(16);
    }
    const exported = await loadTokenizer(out);
    const text = 'The cat sat on the mat. An unseen zebra — ünïcödé 🎉';
    expect(exported.vocabSize).toBe(fitted.vocabSize);
    expect(exported.encode(text)).toEqual(fitted.encode(text));
    expect(exported.decode(exported.encode(text))).toBe(text);

    // lm eval reads the folder with its own tokenizer and the run's split: the same held-out loss.
    const model = await loadGpt2(out);
    try {
      const settings = resolveEvalSettings(out, model.config.nPositions);
      const evaluation = await evaluateLm(model, out, settings, await readEvalData(settings, exported));
      expect(evaluation.modelLoss).toBeCloseTo(result.heldOutLoss, 3);
      expect(evaluation.unigramLoss).toBeCloseTo(result.unigramLoss, 6);
    } finally {
      model.dispose();
    }

    await expect(trainLm(lmConfig(tempOut(), { tokenizer: tokenizerDir, from: out }))).rejects.toThrow(/"tokenizer" = ".*" is invalid; expected no tokenizer when continuing from/);
    await expect(trainLm(lmConfig(tempOut(), { tokenizer: out + '-missing' }))).rejects.toThrow(/--tokenizer .*-missing: no vocab.json or merges.txt there; make one with sae-explorer lm tokenizer/);
  });

  it('refuses to resume a --tokenizer run whose tokenizer was refitted since', async () => {
    const tokenizerDir = join(tempOut(), 'tokenizer');
    const fit = { dataset: grammarCorpus(), textField: 'text', holdoutEvery: 5, out: tokenizerDir };
    await fitLmTokenizer({ ...fit, vocabSize: 300 });
    const out = tempOut();
    const config = lmConfig(out, { tokenizer: tokenizerDir, batch: 8, tokens: 6 * 8 * 16, logEvery: 1 });
    const stop = new AbortController();
    const first = await trainLm(config, { signal: stop.signal, onEvent: (e) => e.type === 'progress' && e.step === 2 && stop.abort() });
    expect(first).toMatchObject({ status: 'cancelled', step: 2 });
    for (const file of ['vocab.json', 'merges.txt', 'tokenizer_config.json']) rmSync(join(tokenizerDir, file));
    await fitLmTokenizer({ ...fit, vocabSize: 290 });
    await expect(trainLm({ ...config, resume: true })).rejects.toThrow(/has a vocabulary of 300 tokens \(<\|endoftext\|> 299\), but .*tokenizer now has 290 \(<\|endoftext\|> 289\); the tokenizer was refitted/);
  });

  it('resumes after an interruption to bitwise the same weights as an uninterrupted run', async () => {
    const straight = tempOut();
    const before = tf.memory();
    await trainLm(lmConfig(straight, { batch: 8, logEvery: 5, tokens: 24 * 8 * 16, checkpointEvery: 0 }));
    // Every parameter, moment and temporary is freed: nothing accumulates over runs of the app's job.
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);

    const interrupted = tempOut();
    const stop = new AbortController();
    const first = await trainLm(lmConfig(interrupted, { batch: 8, logEvery: 5, tokens: 24 * 8 * 16, checkpointEvery: 5 }), {
      signal: stop.signal,
      onEvent: (e) => e.type === 'progress' && e.step === 10 && stop.abort(),
    });
    expect(first).toMatchObject({ status: 'cancelled', step: 10 });
    expect(existsSync(join(interrupted, 'model.safetensors'))).toBe(false);
    await expect(trainLm(lmConfig(interrupted, { tokens: 24 * 8 * 16 }))).rejects.toThrow(/exists from an earlier run: pass --resume/);
    await expect(trainLm(lmConfig(interrupted, { batch: 8, logEvery: 5, tokens: 24 * 8 * 16, lr: 1e-2, resume: true }))).rejects.toThrow(/trained with lr = 0.02, but this run has 0.01/);
    const logs: string[] = [];
    const resumed = await trainLm(lmConfig(interrupted, { batch: 8, logEvery: 5, tokens: 24 * 8 * 16, checkpointEvery: 5, resume: true }), { onEvent: (e) => e.type === 'log' && logs.push(e.message) });
    expect(resumed.status).toBe('finished');
    expect(logs.some((m) => /resumed .* at step 10 of 24/.test(m))).toBe(true);

    const a = tensorsOf(join(straight, 'model.safetensors'));
    const b = tensorsOf(join(interrupted, 'model.safetensors'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, values] of a) expect(Buffer.from(b.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    const record = (dir: string) => JSON.parse(readFileSync(join(dir, LM_TRAINING_FILE), 'utf8'));
    expect(record(interrupted).heldOut).toEqual(record(straight).heldOut);
    // The training-loss history before the interruption comes back from the checkpoint.
    expect(record(interrupted).train.map((p: { step: number }) => p.step)).toEqual([5, 10, 15, 20, 24]);
    expect(record(interrupted).train).toEqual(record(straight).train);
    expect(existsSync(join(interrupted, LM_CHECKPOINT_FILE))).toBe(true);
  });

  it('stops on a non-finite loss, naming the step and keeping the last good checkpoint', async () => {
    const out = tempOut();
    const step = AdamW.prototype.step;
    // A diverged update, simulated: after step 3 one weight becomes NaN, so step 4's loss is NaN.
    const spy = vi.spyOn(AdamW.prototype, 'step').mockImplementation(function (this: AdamW, params, grads, hyper, t) {
      const norm = step.call(this, params, grads, hyper, t);
      if (t === 3) params.get('ln_f.bias')!.assign(tf.fill(params.get('ln_f.bias')!.shape, NaN));
      return norm;
    });
    try {
      await expect(trainLm(lmConfig(out, { batch: 8, tokens: 10 * 8 * 16, checkpointEvery: 2 }))).rejects.toThrow(
        /training loss became NaN at step 4 .*The last good checkpoint \(step 2\) in .*checkpoint\.safetensors was kept; resume it with a lower --lr/,
      );
    } finally {
      spy.mockRestore();
    }
    expect(readTensorCheckpoint<{ step: number }>(join(out, LM_CHECKPOINT_FILE)).meta.step).toBe(2);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
  });
});
