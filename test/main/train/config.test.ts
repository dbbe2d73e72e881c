import { describe, expect, it } from 'vitest';
import { deadWindowTokens, l1WarmupSteps, lrWarmupSteps, resolveSizes, saeArchitecture, totalSteps, validateTrainRunConfig } from '../../../src-main/train/config.js';
import { saeConfigFor } from '../../../src-main/train/family.js';

const base = { model: 'gpt2', hook: 'blocks.8.hook_resid_post', tokens: 10_000, out: '/tmp/x' };

describe('validateTrainRunConfig', () => {
  it('fills the defaults of the paper and the CLI contract', () => {
    const c = validateTrainRunConfig({ ...base, latents: [1024, 4096] });
    expect(c).toMatchObject({ dataset: 'sotu', k: 32, arch: 'topk', batch: 4096, context: 64, seed: 0, checkpointEvery: 100, resume: false });
    expect(totalSteps(c)).toBe(3);
    expect(deadWindowTokens(c)).toBe(4096);
    expect(deadWindowTokens(validateTrainRunConfig({ ...base, latents: [8], tokens: 1e9 }))).toBe(10_000_000);
    // Warm-up: sparsify's 1,000 steps, a tenth of a shorter run; clipping at norm 1.0 unless given.
    expect(lrWarmupSteps(c)).toBe(1);
    expect(lrWarmupSteps(validateTrainRunConfig({ ...base, latents: [8], tokens: 1e9 }))).toBe(1000);
    expect(saeConfigFor(validateTrainRunConfig({ ...base, latents: [64], tokens: 1e9 }), 4, 64)).toMatchObject({ lrWarmupSteps: 1000, gradClipNorm: 1 });
    expect(saeConfigFor(validateTrainRunConfig({ ...base, latents: [64], lrWarmup: 0, gradClip: 0.5 }), 4, 64)).toMatchObject({ lrWarmupSteps: 0, gradClipNorm: 0.5 });
    // relu: the L1 coefficient warms up over the first 5% of the steps (April 2024 recipe).
    expect(l1WarmupSteps(validateTrainRunConfig({ ...base, latents: [64], arch: 'relu', tokens: 4096 * 200 }))).toBe(10);
    expect(l1WarmupSteps(validateTrainRunConfig({ ...base, latents: [64], tokens: 4096 * 200 }))).toBe(0);
  });

  it('rejects unknown keys, both or neither size forms, and bad values, naming the field', () => {
    expect(() => validateTrainRunConfig({ ...base, latents: [8], lattents: [8] })).toThrow(/unknown key "lattents"/);
    expect(() => validateTrainRunConfig(base)).toThrow(/exactly one of "latents".*"expansion"/);
    expect(() => validateTrainRunConfig({ ...base, latents: [8], expansion: [2] })).toThrow(/exactly one of/);
    expect(() => validateTrainRunConfig({ ...base, latents: [8, 8] })).toThrow(/"latents" = \[8,8\] is invalid; expected distinct sizes/);
    expect(() => validateTrainRunConfig({ ...base, latents: [8], arch: 'vanilla' })).toThrow(/"arch" = "vanilla" is invalid; expected one of topk, relu, batchtopk, jumprelu, gated, matryoshka/);
    expect(() => validateTrainRunConfig({ ...base, latents: [8], context: 1 })).toThrow(/"context" = 1 is invalid; expected an integer ≥ 2/);
    expect(() => validateTrainRunConfig({ ...base, latents: [8], arch: 'relu', multiTopK: true })).toThrow(/Multi-TopK applies to arch "topk"/);
    expect(() => validateTrainRunConfig({ ...base, latents: [8], model: undefined })).toThrow(/"model" is required/);
    // Upper bounds, the same the app's requests are held to (train/limits.ts).
    expect(() => validateTrainRunConfig({ ...base, latents: [2 ** 24 + 1] })).toThrow('train config: "latents" = 16777217 is invalid; expected an integer in [1, 16777216]');
    expect(() => validateTrainRunConfig({ ...base, latents: [8], batch: 2 ** 21 })).toThrow(/"batch" = 2097152 is invalid; expected an integer in \[1, 1048576\]/);
    expect(() => validateTrainRunConfig({ ...base, latents: [8], tokens: 1e300 })).toThrow(/"tokens" = 1e\+300 is invalid/);
    expect(() => validateTrainRunConfig({ ...base, latents: Array.from({ length: 17 }, (_, i) => i + 1) })).toThrow(/expected at most 16 sizes/);
    expect(() => validateTrainRunConfig({ ...base, latents: [8], gradClip: -1 })).toThrow(/"gradClip" = -1 is invalid; expected a finite number ≥ 0/);
    expect(() => validateTrainRunConfig({ ...base, latents: [8], lrWarmup: 1.5 })).toThrow(/"lrWarmup" = 1.5 is invalid; expected an integer ≥ 0/);
  });

  it('maps relu to SAELens "standard" and expansion factors to sizes, ascending', () => {
    expect(saeArchitecture('relu')).toBe('standard');
    expect(saeArchitecture('batchtopk')).toBe('batchtopk');
    expect(resolveSizes(validateTrainRunConfig({ ...base, expansion: [16, 4] }), 768)).toEqual([3072, 12288]);
    expect(resolveSizes(validateTrainRunConfig({ ...base, latents: [4096, 1024] }), 768)).toEqual([1024, 4096]);
    expect(() => resolveSizes(validateTrainRunConfig({ ...base, expansion: [1.5] }), 5)).toThrow(/1.5 × d_in 5 = 7.5 is not a whole number/);
  });
});
