import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
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
import { lmConfig, tempOut } from './fixture.js';

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

  // Values and bytes of this run as the trainer produced them before worker threads existed (commit
  // cf4c991). The shipped model is trained by that code and must stay reproducible by this one, so a
  // change that moves any of these changes the shipped model's bytes: it needs a new model, not a new pin.
  it.each([
    {
      vocab: 'corpus',
      losses: [10.847132682800293, 10.050678253173828, 8.92598819732666, 8.139673233032227, 7.767850875854492, 7.4666643142700195],
      norms: [7.266221523284912, 6.462981700897217, 6.129695892333984, 6.248174667358398, 6.2825751304626465, 6.336122035980225],
      heldOut: 7.371396780014038,
      sha256: '63295c26d4ceebf4ff5c6339ce6ee90857bee8d4686f465f833c97ca126e55c6',
    },
    {
      vocab: 'full',
      losses: [10.836867332458496, 10.245796203613281, 9.609774589538574, 8.559835433959961, 8.18239688873291, 7.948460578918457],
      norms: [2.2717862129211426, 2.090391159057617, 2.237367868423462, 1.7081631422042847, 1.634993076324463, 1.7421640157699585],
      heldOut: 7.8306849002838135,
      sha256: '90a8f557b7bfaa4c94a6cabefa5c66fa7e6bb79e2132539e1be00b8f789bc9fc',
    },
  ])('reproduces the pinned losses and model bytes of a short run with the $vocab vocabulary (threads 1, the default)', async (pinned) => {
    const out = tempOut();
    const losses: number[] = [];
    const norms: number[] = [];
    const outcome = await trainLm(lmConfig(out, { layers: 2, batch: 8, tokens: 6 * 8 * 16, logEvery: 1, evalEvery: 0, checkpointEvery: 0, vocab: pinned.vocab }), {
      onEvent: (e) => {
        if (e.type === 'progress') {
          losses.push(e.loss);
          norms.push(e.gradNorm);
        }
      },
    });
    expect(losses).toEqual(pinned.losses);
    expect(norms).toEqual(pinned.norms);
    expect(outcome.result!.heldOutLoss).toBe(pinned.heldOut);
    expect(createHash('sha256').update(readFileSync(join(out, 'model.safetensors'))).digest('hex')).toBe(pinned.sha256);
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
