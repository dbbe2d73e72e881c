// Language-model domain of the API contract: pretraining a GPT-2 in the app. Progress arrives as
// JobEvents (series "train" and "held_out" carry the loss curve); pause, resume and cancel go through
// the jobs domain.

export interface LmTrainParams {
  /** Folder name under models/ the new model is written to. */
  name: string;
  /** DatasetEntry id ("embedded:sotu" for the built-in corpus). */
  dataset: string;
  /** ModelEntry id of a GPT-2 to continue; omitted trains from scratch. */
  from?: string;
  /**
   * From scratch only: fit the model's own byte-level BPE of this many tokens (258 to 65,535) on the
   * dataset's training documents first, into the model's folder (as `lm tokenizer` does); omitted,
   * the model uses GPT-2's 50,257 tokens.
   */
  vocabSize?: number;
  /** Transformer blocks (from scratch); trainer's default (4) when omitted. */
  layers?: number;
  /** Residual width (from scratch); trainer's default (128) when omitted. */
  dModel?: number;
  /** Attention heads (from scratch); trainer's default (4) when omitted. */
  heads?: number;
  /** Context length in tokens; trainer's default (128) when omitted. */
  ctx?: number;
  /** Training tokens. */
  tokens: number;
  /** Windows per step; trainer's default (16) when omitted. */
  batch?: number;
  /** Peak learning rate; trainer's default (1e-3) when omitted. */
  lr?: number;
  /** Seed of initialisation and data order; default 0. */
  seed?: number;
  /** Steps between held-out evaluations; trainer's default (100) when omitted. */
  evalEvery?: number;
  /** Continue the model's checkpoint. */
  resume?: boolean;
  /** Worker threads the step runs on, data-parallel (at most batch); trainer's default (1) when omitted. */
  threads?: number;
}

// lm.evaluate, lm.sample and lm.export: the CLI's `lm eval`, `lm sample` and `lm export` on a model
// of the workspace. An evaluation is kept with the model (lm_eval.json in its folder) and every
// ModelEntry of `workspace.list` carries it as `evaluation`.

export interface LmEvaluateParams {
  /** ModelEntry id of the GPT-2 to evaluate. */
  model: string;
  /** DatasetEntry id; default: the dataset of the model's training run (its lm_training.json), else the built-in corpus. */
  dataset?: string;
  /** Every n-th document is held out, as lm train splits; default: the run's, else 20. */
  holdoutEvery?: number;
  /** Predicted positions per window; default: the run's, else the model's context. */
  ctx?: number;
  /** Held-out positions to evaluate, rounded up to whole windows; default: the run's held-out size, else 16,384. */
  tokens?: number;
}

/** A model's stored evaluation (lm_eval.json): cross-entropies in nats/token on the same held-out positions. */
export interface LmEvaluation {
  /** Held-out positions every figure is averaged over. */
  positions: number;
  /** The model, full-vocabulary softmax. */
  modelLoss: number;
  /** Jelinek–Mercer interpolated bigram of the training windows, λ by leave-one-out on them. */
  bigramLoss: number;
  /** Add-one unigram of the training windows. */
  unigramLoss: number;
  /** Training positions the baselines were counted on. */
  trainTokens: number;
  /** Every n-th document held out, and predicted positions per window. */
  holdoutEvery: number;
  ctx: number;
  /** DatasetEntry id (or, in a record the CLI wrote, the corpus) it was measured on; null when the file does not say. */
  dataset: string | null;
}

/** Prompts × samples × maxTokens may be at most 1,024 new tokens in all. */
export interface LmSampleParams {
  /** ModelEntry id. */
  model: string;
  /** 1 to 8 prompts, each continued separately. */
  prompts: string[];
  /** New tokens per continuation, 1 to 256; default 40. */
  maxTokens?: number;
  /** Softmax temperature, 0 (greedy, the default) to 10. */
  temperature?: number;
  /** Sample among the k most likely tokens only. */
  topK?: number;
  /** Seed of each prompt's first sample (sample i uses seed + i); default 0. */
  seed?: number;
  /** Continuations per prompt, 1 to 8 (more than one only when sampling); default 1. */
  samples?: number;
  /** Start each prompt with <|endoftext|>, as lm train trains; default true. */
  bos?: boolean;
}

export interface LmSampleContinuation {
  prompt: string;
  /** The sampler's seed; null when greedy. */
  seed: number | null;
  /** The new text only. */
  text: string;
  ids: number[];
}

export interface LmSampleResult {
  continuations: LmSampleContinuation[];
}

export interface LmExportParams {
  /** ModelEntry id of the model to copy. */
  model: string;
  /** Folder name under models/ for the copy; must be free. */
  name: string;
  /** How the copy stores its weights; default "f16" (half the size). */
  dtype?: 'f16' | 'f32';
}

export interface LmCurveParams {
  /** ModelEntry id of a model `lm train` (or Workspace ▸ Models ▸ Train a language model) made. */
  model: string;
}

/** One point of a pretraining run's loss curve. */
export interface LmLossPoint {
  step: number;
  /** Training tokens seen. */
  tokens: number;
  /** Cross-entropy, nats per token. */
  loss: number;
}

/** A pretraining run's loss curve from the model's lm_training.json (the CLI's `lm plot`). */
export interface LmCurve {
  model: string;
  /** Held-out loss at each evaluation. */
  heldOut: LmLossPoint[];
  /** Training loss at each progress report; empty for runs made before the trainer kept it. */
  train: LmLossPoint[];
  /** The unigram model's held-out loss on the same positions. */
  unigramLoss: number;
  /** The interpolated bigram's held-out loss from the model's stored evaluation, when it has one. */
  bigramLoss: number | null;
}

