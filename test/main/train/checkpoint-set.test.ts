// The checkpoints-set trainer: one SAE per checkpoint, each on its own model with the same config
// (so the same windows), moved into <out>/<label>/, listed by a family.json of kind "checkpoints"
// that the comparable-set reader understands; a resume keeps finished members.
import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSetFile } from '../../../src-main/features/comparable-set.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { checkpointMembers, setHasProgress, trainCheckpointSet } from '../../../src-main/train/checkpoint-set.js';
import { maxAbsDiff, runConfig, saeWeights, tempOut, tinyModelDir } from './fixture.js';

describe('trainCheckpointSet', () => {
  it('trains one SAE per checkpoint into a checkpoints set, and a resume keeps what is done', async () => {
    const out = tempOut();
    const early = createTinyModel(join(out, '..', 'step-3'), { layers: 2, dModel: 32, heads: 2, ctx: 16, seed: 9 });
    const members = checkpointMembers([early], tinyModelDir());
    expect(members.map((m) => m.label)).toEqual(['step-3', 'final']);
    const result = await trainCheckpointSet(runConfig(out), members);
    expect(result.status).toBe('finished');
    expect(result.results.map((r) => r.dir)).toEqual([join(out, 'step-3'), join(out, 'final')]);
    expect(readdirSync(out).sort()).toEqual(['family.json', 'final', 'step-3']);
    const set = readSetFile(out);
    expect(set.kind).toBe('checkpoints');
    expect(set.members.map((m) => [m.label, m.model, m.modelPath])).toEqual([
      ['step-3', 'step-3', early],
      ['final', 'tiny', tinyModelDir()],
    ]);
    // Same seed and config, different model: the SAEs differ (each learned its own model's activations).
    expect(maxAbsDiff(saeWeights(join(out, 'step-3')).W_dec!, saeWeights(join(out, 'final')).W_dec!)).toBeGreaterThan(0);
    expect(setHasProgress(out)).toBe(true);

    await expect(trainCheckpointSet(runConfig(out), members)).rejects.toThrow(/step-3 is already trained: pass --resume/);
    const before = readFileSync(join(out, 'step-3', 'sae_weights.safetensors'));
    const again = await trainCheckpointSet(runConfig(out, { resume: true }), members);
    expect(again.results).toEqual([]);
    expect(readFileSync(join(out, 'step-3', 'sae_weights.safetensors')).equals(before)).toBe(true);
    // Each member keeps the training curve of its own run, through the resume that kept them.
    const entries = JSON.parse(readFileSync(join(out, 'family.json'), 'utf8')).saes;
    for (const entry of entries) {
      expect(entry.history.tokens).toEqual([64, 128, 192, 256, 320, 384, 448, 512]);
      expect(entry.train.train_fvu).toBe(entry.history.train_fvu.at(-1));
    }
    expect(entries[0].history.train_fvu).not.toEqual(entries[1].history.train_fvu);
    expect(readdirSync(out).sort()).toEqual(['family.json', 'final', 'step-3']);
  }, 120_000);

  it('refuses several sizes, an activation cache, and two checkpoints of one name', async () => {
    const out = tempOut();
    const members = checkpointMembers([join(out, 'a', 'ckpt')], tinyModelDir());
    await expect(trainCheckpointSet(runConfig(out, { latents: [64, 128] }), members)).rejects.toThrow(/one SAE per checkpoint: give one size .* got 2/);
    await expect(trainCheckpointSet(runConfig(out, { cacheActivations: join(out, 'cache') }), members)).rejects.toThrow(/--cache-activations holds one model's activations/);
    expect(() => checkpointMembers(['/x/step-1', '/y/step-1'], tinyModelDir())).toThrow(/two checkpoints are named "step-1"/);
    expect(() => checkpointMembers(['/x/final'], tinyModelDir())).toThrow(/"final" is the --model/);
    expect(existsSync(join(out, 'family.json'))).toBe(false);
  });

  it('keeps an interrupted member resumable from its checkpoint', async () => {
    const out = tempOut();
    const early = join(out, '..', 'early');
    cpSync(tinyModelDir(), early, { recursive: true });
    const controller = new AbortController();
    const stopped = await trainCheckpointSet(runConfig(out), checkpointMembers([early], tinyModelDir()), {
      signal: controller.signal,
      onEvent: (e) => e.type === 'progress' && controller.abort(),
    });
    expect(stopped).toMatchObject({ status: 'cancelled', stoppedAt: 'early' });
    expect(setHasProgress(out)).toBe(true);
    const done = await trainCheckpointSet(runConfig(out, { resume: true }), checkpointMembers([early], tinyModelDir()));
    expect(done.results.map((r) => r.dir)).toEqual([join(out, 'early'), join(out, 'final')]);
    // The early checkpoint is a copy of the final model, trained with the same seed on the same windows: the same SAE.
    expect(maxAbsDiff(saeWeights(join(out, 'early')).W_dec!, saeWeights(join(out, 'final')).W_dec!)).toBeLessThan(1e-6);
  }, 120_000);
});
