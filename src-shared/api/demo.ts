// Demo domain of the API contract: building the demo workspace — the shipped language model, a family
// of SAEs on it, their harvest and their map, and a checkpoints set across the snapshots the model
// ships — as one job, the same work `sae-explorer demo` does.

export interface DemoBuildParams {
  /** "shipped" (default): the GPT-2 pretrained on the embedded corpus that comes with the app; "tiny": a generated random 2-layer GPT-2. */
  model?: 'shipped' | 'tiny';
  /** Dictionary sizes as multiples of d_model; default 2, 4, 8. */
  expansion?: number[];
  /** Active latents per token; default d_model / 8 (32 at GPT-2 small's width). */
  k?: number;
  /** Training tokens; default 1,000,000. */
  tokens?: number;
  /** Tokens per training step; default 1,024. */
  batch?: number;
  /** Held-out tokens for the final evals, 0 = none; default 4,096. */
  evalTokens?: number;
  /** Tokens read to find each latent's top contexts; default 100,000. */
  harvestTokens?: number;
  /** Training tokens of each SAE of the checkpoints set, built when the model ships snapshots of its pretraining; 0 = no set; default 500,000. */
  checkpointTokens?: number;
}

export interface DemoBuildResult {
  /** The job that builds what is missing (or the one already building it); null when everything is built. */
  jobId: string | null;
}
