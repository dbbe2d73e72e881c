import { describe, expect, it } from 'vitest';
import { DEFAULT_HARVEST, parseHarvestConfig } from '../../../src-main/features/harvest-config.js';

describe('harvest config: activation profiles', () => {
  it('defaults to 256 to 4,096 dims over the first 262,144 tokens, and takes a partial override', () => {
    expect(parseHarvestConfig().profile).toEqual({ dims: 256, maxDims: 4096, tokens: 262_144, seed: 0 });
    expect(parseHarvestConfig({ profile: { ...DEFAULT_HARVEST.profile, tokens: 0 } }).profile.tokens).toBe(0);
  });

  it('refuses fewer most dims than least, and unknown profile keys, naming them', () => {
    expect(() => parseHarvestConfig({ profile: { ...DEFAULT_HARVEST.profile, dims: 512, maxDims: 256 } })).toThrow('harvest config: profile.maxDims must be an integer ≥ 512, got 256');
    expect(() => parseHarvestConfig({ profile: { ...DEFAULT_HARVEST.profile, span: 'window' } as never })).toThrow('harvest config: unknown key "profile.span"');
  });
});
