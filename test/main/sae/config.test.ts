import { describe, expect, it } from 'vitest';
import { defaultLearningRate, validateSaeConfig } from '../../../src-main/sae/config.js';

describe('validateSaeConfig', () => {
  it('fills the recipe defaults, deriving lr and k_aux from the sizes', () => {
    const config = validateSaeConfig({ dIn: 768, dSae: 65536 });
    expect(config).toEqual({
      architecture: 'topk',
      dIn: 768,
      dSae: 65536,
      k: 32,
      lr: 1e-4, // 2e-4 / √(2^16 / 2^14)
      adamBeta1: 0.9,
      adamBeta2: 0.999,
      adamEps: 6.25e-10,
      lrWarmupSteps: 1000,
      gradClipNorm: 1,
      auxK: 384,
      auxKCoefficient: 1 / 32,
      deadTokensWindow: 10_000_000,
      multiTopK: false,
      l1Coefficient: 1,
      l1WarmupSteps: 0,
      l0Coefficient: 1e-3,
      jumpReluBandwidth: 1e-3,
      jumpReluInitThreshold: 1e-3,
      matryoshkaPrefixes: [],
      normalizeActivations: 'layer_norm',
      bPreInit: 'geometric_median',
      seed: 0,
    });
    expect(defaultLearningRate(16384)).toBeCloseTo(2e-4, 12);
  });

  it('takes Matryoshka prefixes only for matryoshka_batchtopk, ascending and below dSae', () => {
    expect(validateSaeConfig({ architecture: 'matryoshka_batchtopk', dIn: 8, dSae: 64, k: 2, matryoshkaPrefixes: [4, 16] }).matryoshkaPrefixes).toEqual([4, 16]);
    expect(() => validateSaeConfig({ architecture: 'matryoshka_batchtopk', dIn: 8, dSae: 64, k: 2 })).toThrow(/needs matryoshkaPrefixes/);
    expect(() => validateSaeConfig({ architecture: 'matryoshka_batchtopk', dIn: 8, dSae: 64, k: 2, matryoshkaPrefixes: [16, 4] })).toThrow(/"matryoshkaPrefixes" = \[16,4\] is invalid; expected an ascending list/);
    expect(() => validateSaeConfig({ architecture: 'matryoshka_batchtopk', dIn: 8, dSae: 64, k: 2, matryoshkaPrefixes: [4, 64] })).toThrow(/in \[1, dSae = 64\)/);
    expect(() => validateSaeConfig({ architecture: 'batchtopk', dIn: 8, dSae: 64, k: 2, matryoshkaPrefixes: [4] })).toThrow(/applies to architecture "matryoshka_batchtopk" only/);
    expect(() => validateSaeConfig({ architecture: 'jumprelu', dIn: 8, dSae: 64, jumpReluBandwidth: 0 })).toThrow(/"jumpReluBandwidth" = 0 is invalid/);
    // JumpReLU has no k: a default k above a small dSae is no error.
    expect(validateSaeConfig({ architecture: 'jumprelu', dIn: 8, dSae: 16 }).architecture).toBe('jumprelu');
  });

  it('keeps given values and rejects unknown keys by name', () => {
    expect(validateSaeConfig({ dIn: 8, dSae: 16, k: 2, lr: 0.01, auxK: 0 })).toMatchObject({ k: 2, lr: 0.01, auxK: 0 });
    expect(() => validateSaeConfig({ dIn: 8, dSae: 16, learningRate: 0.01 })).toThrow(/unknown key "learningRate"/);
  });

  it('names the field, the value and what would be valid', () => {
    expect(() => validateSaeConfig({ dSae: 16 })).toThrow(/"dIn" is required/);
    expect(() => validateSaeConfig({ dIn: 8, dSae: 16.5 })).toThrow(/"dSae" = 16.5 is invalid; expected a positive integer/);
    expect(() => validateSaeConfig({ dIn: 8, dSae: 16, architecture: 'vanilla' })).toThrow(/"architecture" = "vanilla" is invalid; expected one of topk, batchtopk, standard, jumprelu, gated, matryoshka_batchtopk/);
    expect(() => validateSaeConfig({ dIn: 8, dSae: 16, adamBeta2: 1 })).toThrow(/"adamBeta2" = 1 is invalid; expected a number in \[0, 1\)/);
    expect(() => validateSaeConfig({ dIn: 8, dSae: 16, lr: -1 })).toThrow(/"lr" = -1 is invalid/);
    expect(() => validateSaeConfig({ dIn: 8, dSae: 16, lrWarmupSteps: 2.5 })).toThrow(/"lrWarmupSteps" = 2.5 is invalid; expected a non-negative integer/);
    expect(() => validateSaeConfig({ dIn: 8, dSae: 16, gradClipNorm: -1 })).toThrow(/"gradClipNorm" = -1 is invalid; expected a finite number ≥ 0/);
    expect(() => validateSaeConfig({ dIn: 8, dSae: 16, multiTopK: 'yes' })).toThrow(/"multiTopK" = "yes" is invalid; expected true or false/);
    expect(() => validateSaeConfig({ dIn: 8, dSae: 16, k: 17 })).toThrow(/k = 17 exceeds dSae = 16/);
    expect(() => validateSaeConfig({ dIn: 8, dSae: 16, k: 2, architecture: 'batchtopk', multiTopK: true })).toThrow(/multiTopK applies to architecture "topk" only/);
    expect(() => validateSaeConfig({ dIn: 8, dSae: 16, k: 8, multiTopK: true })).toThrow(/needs 4k = 32 latents but dSae = 16/);
    expect(() => validateSaeConfig([1, 2])).toThrow(/expected an object/);
  });
});
