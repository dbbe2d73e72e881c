// The rows a harvest hands to the store, in the app's terms (camelCase, typed arrays).
import type { CapturedContext } from '../features/context-slots.js';
import type { IntervalSample } from '../features/quantile-samples.js';

export interface SaeRecord {
  /** Absolute path of the SAELens folder; identifies the SAE. */
  path: string;
  modelId: number;
  familyId?: number;
  hookName: string;
  architecture: string;
  dIn: number;
  dSae: number;
  k?: number;
}

export interface FamilyRecord {
  /** Absolute path of the family folder (the one holding family.json). */
  path: string;
  name: string;
  modelId: number;
  hookName: string;
  /** What the set compares (src-main/features/comparable-set.ts); the store's default is 'sizes'. */
  kind?: 'sizes' | 'checkpoints';
}

export interface HarvestRecord {
  datasetId: number;
  tokens: number;
  topN: number;
  /** Everything else that changes the result (context width, intervals, seed, …), compared on rerun. */
  params: Record<string, unknown>;
}

export interface LatentRecord {
  latent: number;
  density: number;
  meanAct: number;
  maxAct: number;
  /** Display strings of the max tokens of the top contexts, for text filters and search. */
  topTokens: string;
  actHistogram: { logLo: number; logHi: number; counts: Uint32Array };
  top: CapturedContext[];
  quantiles: IntervalSample[];
}

/**
 * The corpus windows a harvest cut its contexts from (the harvest's WindowSet): row `w` of `tokens`
 * [count, contextSize] is window `w`, starting with its BOS; a context's `position` counts from the
 * token after the BOS, as the activations do. The store keeps each referenced window once per SAE.
 */
export interface HarvestWindows {
  contextSize: number;
  tokens: ArrayLike<number> & { subarray(start: number, end: number): ArrayLike<number> };
}

export interface LogitToken {
  id: number;
  token: string;
  value: number;
}

export interface LogitRecord {
  latent: number;
  positive: LogitToken[];
  negative: LogitToken[];
  histogram: { lo: number; hi: number; counts: Uint32Array };
}

export interface NeighbourRecord {
  latent: number;
  others: Int32Array;
  cosines: Float32Array;
}

/** A latent's closest latents of another SAE by activation correlation on the same tokens, best first. */
export interface CounterpartRecord {
  latent: number;
  others: Int32Array;
  correlations: Float32Array;
}

export interface UmapRecord {
  saeId: number;
  latent: number;
  x: number;
  y: number;
  x3: number;
  y3: number;
  z3: number;
}
