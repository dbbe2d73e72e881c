// Features domain of the API contract: browsing the latents of an SAE from the feature database.
// A feature is identified everywhere by (model, sae, latent).

export interface FeatureId {
  /** ModelEntry id. */
  model: string;
  /** SaeEntry id. */
  sae: string;
  /** Latent index, 0 ≤ latent < d_sae. */
  latent: number;
}

export interface TokenValue {
  id: number;
  /** Display string with spaces and newlines made visible. */
  token: string;
  value: number;
}

/** A window of tokens around one activation, with the latent's activation on every token. */
export interface ContextExample {
  tokens: number[];
  /** Display strings of `tokens`, same length. */
  tokenStrings: string[];
  acts: number[];
  /** Index in `tokens` of the activation the example was chosen for. */
  maxIndex: number;
}

/** Examples whose activation lies in [low, high), so weak activations are seen too. */
export interface QuantileGroup {
  low: number;
  high: number;
  examples: ContextExample[];
}

/** Counts per bin; `edges` has one more entry than `counts`. */
export interface Histogram {
  edges: number[];
  counts: number[];
}

export interface Neighbor {
  sae: string;
  latent: number;
  cosine: number;
}

export interface FeaturePage {
  id: FeatureId;
  /** Fraction of tokens on which the latent fires. */
  density: number;
  maxAct: number;
  meanAct: number;
  top: ContextExample[];
  quantiles: QuantileGroup[];
  /** Activation histogram (log-spaced bins), null when not harvested. */
  activationHistogram: Histogram | null;
  logitsPos: TokenValue[];
  logitsNeg: TokenValue[];
  /** Closest latents by decoder cosine within the same SAE. */
  neighbors: Neighbor[];
  /** Closest latents in the other sizes of the family (parents and children of feature splitting). */
  relatives: Neighbor[];
  /** UMAP position, null before the family's UMAP has run. */
  mapPoint: { x: number; y: number; z: number } | null;
}

export type FeatureSort = 'index' | 'density' | 'max_act';

export interface FeatureListParams {
  model: string;
  sae: string;
  /** Default 'index'. */
  sort?: FeatureSort;
  /** Default true for density and max_act, false for index. */
  descending?: boolean;
  /** Keep latents whose top tokens contain this text (case-insensitive). */
  tokenFilter?: string;
  /** First row, default 0. */
  offset?: number;
  /** Rows to return, default 100, at most 1000. */
  limit?: number;
}

export interface FeatureSummary {
  latent: number;
  density: number;
  maxAct: number;
  /** The tokens it fires most on, as display strings. */
  topTokens: string[];
}

export interface FeatureListPage {
  /** Rows matching the filter, over all pages. */
  total: number;
  rows: FeatureSummary[];
}

/**
 * What a feature map's UMAP compares latents by: 'decoder', the cosine of their decoder directions;
 * 'activation', the cosine of their activation profiles over the harvest's tokens (random-projected,
 * src-main/features/activation-profile.ts), so latents that fire on the same tokens sit together. A
 * latent that never fired on those tokens has no point on the activation map.
 */
export type MapBasis = 'decoder' | 'activation';

/**
 * Every latent of a family on its UMAP coordinates, columnar and binary so 336k points stay compact:
 * each column is a typed array's bytes in base64 (src-shared/feature-map.ts encodes and decodes
 * them). Point i is (saes[sae[i]], latent[i]) at (x[i], y[i], z[i]).
 */
export interface FeatureMap {
  family: string;
  /** The basis these coordinates were laid out by. */
  basis: MapBasis;
  /** Every basis the family has a map in, decoder first. */
  bases: MapBasis[];
  saes: string[];
  /** d_sae of each entry of `saes`. */
  sizes: number[];
  /** Points in every column. */
  count: number;
  /** Uint16 index into `saes`, [count]. */
  sae: string;
  /** Int32 latent index, [count]. */
  latent: string;
  /** Float32 3-D UMAP coordinates, [count] each. */
  x: string;
  y: string;
  z: string;
}

export interface FeatureMapParams {
  model: string;
  family: string;
  /** The map to send; default the decoder map when there is one, else the activation map. */
  basis?: MapBasis;
}

export interface FeatureSearchParams {
  /** Text to find among top tokens and logit tokens. */
  query: string;
  /** Restrict to one SAE (SaeEntry id). */
  sae?: string;
  /** Default 50, at most 500. */
  limit?: number;
}

export interface FeatureSearchHit {
  id: FeatureId;
  /** Where the query matched: "top token", "logit +", "logit −". */
  matchedIn: string;
  summary: FeatureSummary;
}
