// Settings of a harvest, validated in one place; unknown keys are an error.
import { DEFAULT_PROFILE, type ProfileConfig } from './activation-profile.js';
import type { ContextWidth } from './context-slots.js';
import { DEFAULT_QUANTILES, type QuantileConfig } from './quantile-samples.js';

export interface HarvestConfig {
  /** Top activating contexts kept per latent; default 40. */
  topN: number;
  /** Tokens kept left and right of the firing token in a context; default 24 before, 8 after. */
  context: ContextWidth;
  /** Quantile-interval samples: intervals × perInterval, seeded; default 10 × 5, seed 0. */
  quantiles: QuantileConfig;
  /** Windows per forward pass (bounds memory); default 8 — 32 windows of GPT-2 small exhausted wasm memory here. */
  batchWindows: number;
  /** Within-SAE decoder-cosine neighbours per latent; default 10. */
  neighbours: number;
  /** Closest latents kept in each other size of the family; default 5. */
  relatives: number;
  /** Latents written per database transaction; default 1024. */
  writeChunk: number;
  /** Random-projected activation profiles for the feature map's activation basis: 256 dims over the first 262,144 tokens, seed 0 (activation-profile.ts). */
  profile: ProfileConfig;
}

export const DEFAULT_HARVEST: HarvestConfig = {
  topN: 40,
  context: { before: 24, after: 8 },
  quantiles: DEFAULT_QUANTILES,
  batchWindows: 8,
  neighbours: 10,
  relatives: 5,
  writeChunk: 1024,
  profile: DEFAULT_PROFILE,
};

function positiveInt(value: unknown, field: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new Error(`harvest config: ${field} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return value;
}

function checkKeys(raw: object, allowed: object, where: string): void {
  for (const key of Object.keys(raw)) {
    if (!(key in allowed)) throw new Error(`harvest config: unknown key "${where}${key}" (expected ${Object.keys(allowed).map((k) => where + k).join(', ')})`);
  }
}

export function parseHarvestConfig(raw: Partial<HarvestConfig> = {}): HarvestConfig {
  checkKeys(raw, DEFAULT_HARVEST, '');
  const context = { ...DEFAULT_HARVEST.context, ...raw.context };
  const quantiles = { ...DEFAULT_HARVEST.quantiles, ...raw.quantiles };
  const profile = { ...DEFAULT_HARVEST.profile, ...raw.profile };
  checkKeys(context, DEFAULT_HARVEST.context, 'context.');
  checkKeys(quantiles, DEFAULT_HARVEST.quantiles, 'quantiles.');
  checkKeys(profile, DEFAULT_HARVEST.profile, 'profile.');
  const o = { ...DEFAULT_HARVEST, ...raw, context, quantiles, profile };
  for (const key of ['topN', 'batchWindows', 'writeChunk'] as const) positiveInt(o[key], key);
  for (const key of ['neighbours', 'relatives'] as const) positiveInt(o[key], key, 0);
  positiveInt(context.before, 'context.before', 0);
  positiveInt(context.after, 'context.after', 0);
  positiveInt(quantiles.intervals, 'quantiles.intervals');
  positiveInt(quantiles.perInterval, 'quantiles.perInterval');
  positiveInt(quantiles.seed, 'quantiles.seed', 0);
  positiveInt(profile.dims, 'profile.dims', 2);
  positiveInt(profile.maxDims, 'profile.maxDims', profile.dims);
  positiveInt(profile.tokens, 'profile.tokens', 0);
  positiveInt(profile.seed, 'profile.seed', 0);
  return o;
}
