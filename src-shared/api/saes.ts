// SAEs domain of the API contract: requests about one SAE of the workspace. `saes.evaluate` runs the
// CLI's `sae eval` (src-main/train/eval.ts) as a job and stores the figures in the SAE's eval.json,
// which every SaeEntry of `workspace.list` then carries as `evaluation`.

export interface SaeEvaluateParams {
  /** SaeEntry id, e.g. "fam/4096". */
  sae: string;
  /** ModelEntry id of the GPT-2 whose activations and LM loss the SAE is judged on. */
  model: string;
  /** DatasetEntry id ("embedded:sotu" for the built-in corpus); its held-out split is used. */
  dataset: string;
  /** Activation tokens to evaluate (BOS excluded); rounded up to whole windows. */
  tokens: number;
  /** Windows per forward pass; default 8 (the CLI's). */
  batch?: number;
}

/** The figures of an SAE's eval.json (definitions in src-main/train/eval.ts and in the file itself). */
export interface SaeEvaluation {
  /** Activation tokens evaluated. */
  tokens: number;
  /** Eval FVU: fraction of variance unexplained on the eval tokens, in the raw activation space. */
  evalFvu: number;
  /** Mean active latents per token. */
  l0: number;
  /** Fraction of latents that never fired on the eval tokens (not the paper's dead fraction, which is over training). */
  neverFiredFrac: number;
  /** LM cross-entropy with the reconstruction spliced in minus the clean one (nats). */
  deltaLmLoss: number;
  /** (CE zero-ablated − CE with SAE) ÷ (CE zero-ablated − CE clean), BOS zeroed too (SAELens); 1 is perfect. */
  ceLossScore: number;
  /** KL(clean ‖ with the SAE) of the next-token distributions, nats; absent from eval.json files written before it was measured. */
  klDiv?: number;
  /** ModelEntry id and DatasetEntry id it was evaluated on; null in eval.json files that do not say (training, the CLI). */
  model: string | null;
  dataset: string | null;
}

/** One SAE of a public release. */
export interface ReleaseSaeInfo {
  /** SAELens's id of the SAE in the release, e.g. "blocks.8.hook_resid_pre_768". */
  id: string;
  layer: number;
  hookName: string;
  dSae: number;
}

/** A public GPT-2 small release the app can download by name (src-main/sae/releases/registry.ts). */
export interface ReleaseInfo {
  /** SAELens's release name, e.g. "gpt2-small-res-jb-feature-splitting". */
  name: string;
  /** Hugging Face repo the files come from. */
  repoId: string;
  /** Hub model the SAEs read, e.g. "gpt2". */
  model: string;
  architecture: string;
  k: number | null;
  normalizeActivations: string;
  /** Whether import folds TransformerLens's residual centring (center_writing_weights) into the weights. */
  centringFolded: boolean;
  summary: string;
  /** What differs from an SAE trained here; shown before downloading. */
  caveats: string[];
  /** Blocks with SAEs, ascending: the values `layers` may take. */
  layers: number[];
  saes: ReleaseSaeInfo[];
}

export interface ImportReleaseParams {
  /** A ReleaseInfo name. */
  release: string;
  /** Blocks to import; all of the release's when omitted. Each hook site becomes one family under saes/. */
  layers?: number[];
}

/** Where saes.import reads from: exactly one of `upload` and `hub`. */
export interface SaeImportParams {
  /** Family name under saes/ to create (letters, digits, ".", "_" and "-"); each SAE becomes saes/<name>/<d_sae>/. */
  name: string;
  /** Upload id (UploadReceipt.upload): a SAELens or sparsify folder, an OpenAI .safetensors, or a folder of several SAEs at one site. */
  upload?: string;
  /** Hugging Face SAE folder: "org/repo" or "org/repo/sub/folder". */
  hub?: string;
  /** TransformerLens hook name instead of the file's (raw OpenAI files, unmapped sparsify hookpoints). */
  hook?: string;
  /** Latents per token of a raw OpenAI file; default 32. */
  k?: number;
}
