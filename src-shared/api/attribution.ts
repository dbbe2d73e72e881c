// Attribution domain of the API contract: which SAE latents make the model predict a target token
// after a prompt, directly (through ln_final with its scale frozen, and the unembedding) and in
// total (the latent removed at the last position, its SAE's error kept).

export interface AttributionParams {
  model: string;
  /** SAEs of this model, each at its own site; 1 to 4. */
  saes: string[];
  prompt: string;
  /** The next token, as text that is exactly one token (e.g. " Paris"). */
  target: string;
}

export interface TokenEffect {
  /** Target logit change: clean − ablated (positive: supports the target). */
  logit: number;
  /** Target log-prob change, clean − ablated. */
  logProb: number;
}

export interface AttributedLatent {
  latent: number;
  /** Activation at the last prompt position. */
  activation: number;
  /** Direct effect on the target logit. */
  direct: number;
  total: TokenEffect;
}

export interface AttributionSite {
  sae: string;
  hookName: string;
  /** Active latents at the last position, by |total.logit| descending. */
  latents: AttributedLatent[];
  /** The SAE's reconstruction error: its direct effect, and the total effect of replacing the activation by the reconstruction. */
  error: { direct: number; total: TokenEffect };
  /** Direct effect of the SAE's decoder bias. */
  bias: number;
  /** Direct effect of everything else in the final residual stream (what later layers write). */
  rest: number;
}

export interface AttributionResult {
  /** Display strings of the prompt's tokens (BOS not included). */
  promptTokens: string[];
  target: { id: number; token: string };
  logit: number;
  logProb: number;
  /** 1/σ of ln_final at the last position, held fixed in the direct effects. */
  lnFinalScale: number;
  /** ln_final's bias times the target's unembedding. Per site: Σ direct + error.direct + bias + rest + lnFinalBias = logit. */
  lnFinalBias: number;
  sites: AttributionSite[];
  /** The model's likeliest next tokens, for choosing a target; `text` is what to pass as target. */
  topTokens: Array<{ id: number; token: string; text: string; prob: number }>;
}

export interface TokenEffectParams {
  model: string;
  sae: string;
  latent: number;
  /** A context's token ids (BOS is prepended when the SAE was trained with it). */
  tokens: number[];
}

export interface TokenEffectResult {
  /** The latent's activation at each token, recomputed on these tokens alone. */
  acts: number[];
  /**
   * Per token: the next token's log-prob with the latent minus without it at that token (its SAE
   * error kept); 0 where the latent is inactive, null for the last token (no next token).
   */
  effects: Array<number | null>;
}

/** Direct feature attribution: which heads, MLPs and embeddings write a latent's pre-activation. */
export interface FeatureHeadsParams {
  model: string;
  sae: string;
  latent: number;
  /** 1 to 20 contexts (BOS is prepended when the SAE was trained with it), each read at `position` (an index in `tokens`). */
  contexts: Array<{ tokens: number[]; position: number }>;
}

export interface FeatureHeadsComponent {
  /** "embed", "pos_embed", "L3H7", "L3 attn bias", "L3 MLP", "ln1 bias", "ln_final bias". */
  name: string;
  kind: 'embed' | 'pos_embed' | 'head' | 'attn_bias' | 'mlp' | 'ln_bias';
  layer: number | null;
  head: number | null;
  /** Mean share of the pre-activation over the contexts. */
  mean: number;
  /** The share in each context, in `contexts` order. */
  values: number[];
}

export interface FeatureHeadsResult {
  hookName: string;
  /** Which per-token scales were held fixed to make the split linear, in words. */
  frozen: string;
  /** Per context: the pre-activation at its position and the constant part (b_enc − b_dec·W_enc[:, latent]); Σ shares = preActivation − bias. */
  contexts: Array<{ position: number; preActivation: number; bias: number }>;
  /** Every part, by |mean| descending. */
  components: FeatureHeadsComponent[];
}
