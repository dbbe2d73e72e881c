import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import { createSae } from '../../../src-main/sae/index.js';
import { loadSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { readCheckpoint } from '../../../src-main/train/checkpoint.js';
import type { TrainEvent } from '../../../src-main/train/events.js';
import { FAMILY_FILE, trainFamily } from '../../../src-main/train/trainer.js';
import { maxAbsDiff, runConfig, saeWeights, tempOut, tinyModel } from './fixture.js';

/**
 * The model with the activation stream's passes counted: they run up to the hook (stopAt); the
 * evals' full passes, which also go through model.run, are not counted. The count wraps tfjs's
 * model.run, so these runs keep the stream's forward on tfjs (SAE_GPT2_RUNTIME=tfjs); the ONNX
 * Runtime source gives the same activations (test/main/data/onnx-activations.test.ts).
 */
async function countedModel(): Promise<{ model: Gpt2; calls: () => number }> {
  process.env.SAE_GPT2_RUNTIME = 'tfjs';
  const model = await tinyModel();
  let calls = 0;
  const run = model.run.bind(model);
  model.run = (tokens, opts) => {
    if (opts?.stopAt) calls++;
    return run(tokens, opts);
  };
  return { model, calls: () => calls };
}

describe('trainFamily', () => {
  afterEach(() => {
    delete process.env.SAE_GPT2_RUNTIME;
  });

  it('trains three sizes on one GPT-2 pass per batch and writes SAELens folders, evals and family.json', async () => {
    const single = await countedModel();
    const tensorsBefore = tf.memory().numTensors;
    const noEvalOut = tempOut();
    const noEval = await trainFamily(runConfig(noEvalOut, { latents: [64], evalTokens: 0 }), { model: single.model });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    // Without eval tokens there is no eval figure: the training FVU does not stand in for it.
    expect(noEval.results[0]).toMatchObject({ evalFvu: null, evalL0: null, deltaLmLoss: null, ceLossScore: null });
    expect(noEval.results[0].trainFvu).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(noEvalOut, FAMILY_FILE), 'utf8')).saes[0].eval).toBeNull();
    const family = await countedModel();
    const out = tempOut();
    const events: TrainEvent[] = [];
    const result = await trainFamily(runConfig(out, { latents: [256, 64, 128] }), { model: family.model, onEvent: (e) => events.push(e) });
    expect(family.calls()).toBe(single.calls());
    expect(family.calls()).toBeGreaterThan(0);

    expect(result.status).toBe('finished');
    expect(result.results.map((r) => r.dSae)).toEqual([64, 128, 256]);
    for (const r of result.results) {
      expect(r).toMatchObject({ k: 4, trainL0: 4, evalL0: 4, tokens: 512 });
      expect(r.evalFvu).toBeGreaterThan(0);
      expect(r.evalFvu).toBeLessThan(1);
      expect(r.trainFvu).toBeGreaterThan(0);
      expect(r.trainFvu).not.toBe(r.evalFvu);
      expect(Number.isFinite(r.deltaLmLoss)).toBe(true);
      expect(Number.isFinite(r.ceLossScore)).toBe(true);
      const bundle = loadSaeLens(join(out, String(r.dSae)));
      expect(bundle.spec).toMatchObject({ architecture: 'topk', dIn: 32, dSae: r.dSae, k: 4, hookName: 'blocks.0.hook_resid_post', contextSize: 16, prependBos: true });
      const evalJson = JSON.parse(readFileSync(join(out, String(r.dSae), 'eval.json'), 'utf8'));
      expect(evalJson.eval_fvu).toBe(r.evalFvu);
      expect(evalJson.definitions.eval_fvu).toMatch(/sum \|\|x - x_hat\|\|\^2 .* raw activation space/);
    }
    const familyJson = JSON.parse(readFileSync(join(out, FAMILY_FILE), 'utf8'));
    expect(familyJson.saes[0].train).toEqual({ train_fvu: result.results[0].trainFvu, l0: 4, dead_frac: result.results[0].deadFrac });
    expect(familyJson.saes[0].eval).toMatchObject({ eval_fvu: result.results[0].evalFvu, ce_loss_score: result.results[0].ceLossScore });
    expect(familyJson.definitions.train_fvu).toMatch(/normalised inputs/);
    expect(familyJson.definitions.eval_fvu).toMatch(/raw activation space/);
    expect(familyJson).toMatchObject({ hook: 'blocks.0.hook_resid_post', sizes: [64, 128, 256], k: 4, tokens: 512, dataset: 'sotu', architecture: 'topk' });
    // 8 steps: one history point per step; the last one is the final batch's figures.
    const history = familyJson.saes[0].history;
    expect(history.tokens).toEqual([64, 128, 192, 256, 320, 384, 448, 512]);
    expect(history.train_fvu.at(-1)).toBe(result.results[0].trainFvu);
    expect(history.l0).toEqual(Array(8).fill(4));
    expect(history.dead_frac).toHaveLength(8);
    expect(familyJson.saes[0].tokens_to_convergence).toEqual({ tokens: expect.any(Number), converged: expect.any(Boolean) });
    expect(familyJson.definitions.tokens_to_convergence).toMatch(/within 5% of its final smoothed value/);

    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.map((e) => e.step)).toEqual([2, 4, 6, 8]);
    const last = progress[3];
    expect(last).toMatchObject({ totalSteps: 8, tokens: 512, totalTokens: 512, etaSeconds: 0 });
    expect(last.perSae.map((s) => s.dSae)).toEqual([64, 128, 256]);
    expect(last.perSae[0].l0).toBe(4);
    expect(Object.keys(last.perSae[0].losses)).toContain('mse');
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'finished', step: 8 });
    single.model.dispose();
    family.model.dispose();
  });

  it('resumes a cancelled run to the same weights as an uninterrupted one', async () => {
    const model = await tinyModel();
    const straight = tempOut();
    await trainFamily(runConfig(straight, { latents: [64, 128], evalTokens: 0 }), { model });

    const interrupted = tempOut();
    const controller = new AbortController();
    // Step 3 is the first batch of the second buffer fill (bufferBatches 2): resume must refill and skip.
    // The abort comes from a macrotask, as SIGINT and the app's cancel message do: the training loop
    // must yield to the event loop for it to arrive at all.
    const first = await trainFamily(runConfig(interrupted, { latents: [64, 128], evalTokens: 0, checkpointEvery: 0, logEvery: 1 }), {
      model,
      signal: controller.signal,
      onEvent: (e) => (e.type === 'progress' && e.step === 3 ? setImmediate(() => controller.abort()) : undefined),
    });
    expect(first).toEqual({ status: 'cancelled', step: 3, results: [] });
    expect(readCheckpoint<{ step: number }>(join(interrupted, 'checkpoint.safetensors')).run.step).toBe(3);
    await expect(trainFamily(runConfig(interrupted, { latents: [64, 128], evalTokens: 0 }), { model })).rejects.toThrow(/exists from an earlier run: pass --resume/);
    await expect(trainFamily(runConfig(interrupted, { latents: [64, 128], evalTokens: 0, k: 5, resume: true }), { model })).rejects.toThrow(/trained with k = 4, but this run has 5/);

    const resumed = await trainFamily(runConfig(interrupted, { latents: [64, 128], evalTokens: 0, checkpointEvery: 0, resume: true }), { model });
    expect(resumed.status).toBe('finished');
    for (const n of [64, 128]) {
      const a = saeWeights(join(straight, String(n)));
      const b = saeWeights(join(interrupted, String(n)));
      for (const name of ['W_enc', 'W_dec', 'b_enc', 'b_dec']) expect(maxAbsDiff(a[name], b[name])).toBeLessThan(1e-5);
    }
    // The training curves continue through the checkpoint: the steps before the cut are the same
    // figures, and the whole run is there, not only the resumed part.
    const curves = (dir: string) => JSON.parse(readFileSync(join(dir, FAMILY_FILE), 'utf8')).saes.map((s: { history: { tokens: number[]; train_fvu: number[] } }) => s.history);
    const [straightCurves, resumedCurves] = [curves(straight), curves(interrupted)];
    for (let i = 0; i < 2; i++) {
      expect(resumedCurves[i].tokens).toEqual(straightCurves[i].tokens);
      expect(resumedCurves[i].train_fvu.slice(0, 3)).toEqual(straightCurves[i].train_fvu.slice(0, 3));
      expect(maxAbsDiff(Float32Array.from(resumedCurves[i].train_fvu), Float32Array.from(straightCurves[i].train_fvu))).toBeLessThan(1e-5);
    }
    model.dispose();
  });

  it('stops on a NaN loss naming the size and step, and keeps the last good checkpoint', async () => {
    const model = await tinyModel();
    const out = tempOut();
    const poisoned: typeof createSae = async (config, options) => {
      const sae = await createSae(config, options);
      if (config.dSae === 128) {
        const step = sae.step.bind(sae);
        let n = 0;
        sae.step = async (x) => {
          const r = await step(x);
          return ++n === 5 ? { ...r, loss: NaN } : r;
        };
      }
      return sae;
    };
    await expect(trainFamily(runConfig(out, { latents: [64, 128] }), { model, createSae: poisoned })).rejects.toThrow(
      /d_sae=128: loss is NaN at step 5; training stopped\. The last good checkpoint \(step 4\)/,
    );
    expect(readCheckpoint<{ step: number }>(join(out, 'checkpoint.safetensors')).run.step).toBe(4);
    expect(existsSync(join(out, '64'))).toBe(false);
    model.dispose();
  });

  it('reuses an activation cache: a second run never calls GPT-2 for training data', async () => {
    const cacheDir = join(tempOut(), 'cache');
    const first = await countedModel();
    const a = tempOut();
    await trainFamily(runConfig(a, { evalTokens: 0, cacheActivations: cacheDir, cacheDtype: 'f32' }), { model: first.model });
    expect(first.calls()).toBeGreaterThan(0);
    const second = await countedModel();
    const b = tempOut();
    const tensorsBefore = tf.memory().numTensors;
    await trainFamily(runConfig(b, { evalTokens: 0, cacheActivations: cacheDir, cacheDtype: 'f32' }), { model: second.model });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(second.calls()).toBe(0);
    expect(maxAbsDiff(saeWeights(join(a, '64')).W_dec, saeWeights(join(b, '64')).W_dec)).toBe(0);
    first.model.dispose();
    second.model.dispose();
  });
});
