// Attention domain of the API contract: how a model moves information between positions (attention
// patterns, per-head previous-token, BOS and induction scores) and how its next-token guess forms
// layer by layer (the logit lens). Model only, no SAE. The prompt is fed with BOS first unless bos is false.

export interface AttentionPromptParams {
  model: string;
  prompt: string;
  /** Prepend <|endoftext|> as BOS; default true. */
  bos?: boolean;
}

export interface AttentionPatternParams extends AttentionPromptParams {
  layer: number;
}

export interface AttentionPatterns {
  /** Display strings of the tokens fed, BOS included. */
  tokens: string[];
  layer: number;
  /** [head][query][key]; each row sums to 1 and is 0 after the query (causal). */
  patterns: number[][][];
}

export interface HeadScoreParams extends AttentionPromptParams {
  /** Seed of the random induction sequences; default 0. */
  seed?: number;
}

export interface HeadScoreTable {
  tokens: string[];
  /** [layer][head] mean attention to the previous token, on the prompt. */
  previousToken: number[][];
  /** [layer][head] mean attention to the first token (BOS), on the prompt. */
  bos: number[][];
  /** [layer][head] induction score on BOS + n random tokens repeated twice. */
  induction: number[][];
  inductionLength: number;
}

export interface LogitLensParams extends AttentionPromptParams {
  /** Tokens kept per position and layer; default 5, at most 20. */
  top?: number;
}

export interface LogitLens {
  tokens: string[];
  /** The embeddings (blocks.0.hook_resid_pre), then the residual after each block. */
  layers: Array<{ hookName: string; top: Array<Array<{ id: number; token: string; prob: number }>> }>;
}
