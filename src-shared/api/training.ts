// Training and harvest domains of the API contract: the parameters of the two long jobs. Their
// progress arrives as JobEvents; pause, resume and cancel go through the jobs domain.

/** 'matryoshka' (Matryoshka BatchTopK) trains one SAE of the largest size; the smaller sizes are its nested prefixes. */
export type TrainArchitecture = 'topk' | 'relu' | 'batchtopk' | 'jumprelu' | 'gated' | 'matryoshka';

export interface TrainParams {
  /** ModelEntry id. */
  model: string;
  /** DatasetEntry id ("embedded:sotu" for the built-in corpus). */
  dataset: string;
  /** TransformerLens hook name, e.g. "blocks.1.hook_resid_post". */
  hook: string;
  /** Dictionary sizes trained together on the same batches, e.g. [1024, 4096]. */
  latents: number[];
  /** Active latents per token. */
  k: number;
  /** Training tokens. */
  tokens: number;
  /** Family folder name under saes/ the sizes are written to. */
  family: string;
  /** Default 'topk'. */
  arch?: TrainArchitecture;
  /** Tokens per step; trainer's default when omitted. */
  batch?: number;
  /** Learning rate; trainer's default (∝ 1/√(n/2^14)) when omitted. */
  lr?: number;
  /** Held-out tokens for the final evals (nMSE, ΔLM loss); trainer's default (16384) when omitted, 0 skips them. */
  evalTokens?: number;
  /** Continue from the family's checkpoint. */
  resume?: boolean;
  /**
   * ModelEntry ids of earlier checkpoints of `model`, earliest first: trains a checkpoints set, one
   * SAE of the one size in `latents` on each and on `model` (labelled "final"), on the same tokens.
   */
  checkpoints?: string[];
}

export interface HarvestParams {
  model: string;
  /** Family folder name; every size is harvested in one pass of the model. */
  family: string;
  dataset: string;
  /** Tokens to run through the model. */
  tokens: number;
  /** Top contexts kept per latent; harvester's default (40) when omitted. */
  top?: number;
  /** Database file under db/; default "features.sqlite". */
  db?: string;
  /** Compute the family's UMAPs (decoder and activation bases) after the harvest; default true. */
  umap?: boolean;
}
