// One batch of harvested windows as the statistics see it: the windows' tokens and one SAE's dense
// activations, row-major, one row per token.

export interface ActivationBatch {
  /** Token ids of the windows, [windows × ctx] flattened. */
  tokens: Int32Array;
  /** Latent activations, [windows × ctx, dSae] row-major. */
  acts: Float32Array;
  /** Tokens per window. */
  ctx: number;
  dSae: number;
  /** Index of this batch's first window in the whole harvest (identifies contexts across batches). */
  firstWindow: number;
}

export function batchRows(batch: ActivationBatch): number {
  return batch.tokens.length;
}
