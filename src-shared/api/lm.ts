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
