// Compare domain of the API contract: any two SAEs at one site (same hook, same d_in) — two seeds,
// two architectures, two sizes, an imported release against one trained here, two checkpoints —
// matched latent to latent by decoder cosine (src-main/features/latent-matching.ts) and each matched
// pair confirmed by the correlation of its activations on held-out tokens. `compare.start` runs it
// as a job that stores the result in the workspace's comparisons/<id>.json (id = the job's);
// `compare.get` reads one, `compare.list` lists them.

export interface CompareParams {
  /** SaeEntry ids of the two SAEs, e.g. "fam/256" and "fam/512". */
  a: string;
  b: string;
  /** ModelEntry id of the GPT-2 that A reads (and B too, unless `modelB`). */
  model: string;
  /** ModelEntry id of B's GPT-2 when it is another model (a checkpoint, a fine-tune); default `model`. */
  modelB?: string;
  /** DatasetEntry id ("embedded:sotu" for the built-in corpus); its held-out split (every 20th window) is used. */
  dataset: string;
  /** Activation tokens to correlate on (BOS excluded); rounded up to whole windows. */
  tokens: number;
  /** Decoder cosine at or above which a pair counts as matched; default 0.7. */
  threshold?: number;
}

export interface ComparisonIdParams {
  /** A comparison's id (the job that made it, e.g. "job-12"). */
  id: string;
}

export interface ComparedSae {
  /** SaeEntry id. */
  sae: string;
  /** ModelEntry id of the model it was run on. */
  model: string;
  dSae: number;
  architecture: string;
  hookName: string;
  dIn: number;
}

/** One matched pair: a latent of A, its partner in B, and how alike they are. */
export interface MatchedPair {
  a: number;
  b: number;
  /** Cosine of their decoder directions. */
  cosine: number;
  /** Pearson correlation of their activations over the same tokens; 0 when either never fired. */
  correlation: number;
}

/** A latent without a partner at or above the threshold. */
export interface UnmatchedLatent {
  latent: number;
  /** Its partner in the one-to-one matching and their cosine; null when the other side ran out of latents. */
  partner: number | null;
  partnerCosine: number | null;
  /** Its highest decoder cosine with any latent of the other side (that latent may be taken by a closer one). */
  bestCosine: number;
}

export interface ComparisonSummary {
  id: string;
  /** ISO time the comparison finished. */
  createdAt: string;
  a: ComparedSae;
  b: ComparedSae;
  /** Both SAEs ran on one model; when false, decoder cosines compare two models' bases (see `notes`). */
  sameModel: boolean;
  /** 'hungarian' (optimal) when both sides have at most `hungarianMax` latents, else 'greedy'. */
  method: 'hungarian' | 'greedy';
  hungarianMax: number;
  threshold: number;
  dataset: string;
  /** Activation tokens the correlations were measured on. */
  tokens: number;
  /** Pairs with cosine ≥ threshold. */
  matched: number;
  /** matched ÷ A's latents, matched ÷ B's latents. */
  shareMatchedA: number;
  shareMatchedB: number;
  /** Median activation correlation over the pairs matched at the threshold; null when none are. */
  medianCorrelation: number | null;
}

export interface SaeComparison extends ComparisonSummary {
  /** What a reader must know to trust the figures (different models, a side without firing latents). */
  notes: string[];
  /** Matched cosines in bins of `binWidth` from 0 to 1 (the first bin also counts negative cosines). */
  histogram: { binWidth: number; counts: number[] };
  /** Share of each side matched at every threshold 0, 0.05, …, 1. */
  curve: Array<{ threshold: number; shareA: number; shareB: number }>;
  /** Every pair of the one-to-one matching, highest cosine first (also those below the threshold). */
  pairs: MatchedPair[];
  /** Latents of A and of B without a partner at the threshold, lowest best cosine first. */
  unmatchedA: UnmatchedLatent[];
  unmatchedB: UnmatchedLatent[];
}
