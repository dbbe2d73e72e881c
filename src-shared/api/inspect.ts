// Inspect domain of the API contract: run a prompt through the model and an SAE and see which
// latents fire on each token ("search via inference").

export interface InspectParams {
  model: string;
  sae: string;
  text: string;
  /** Also return this latent's activation on every token. */
  latent?: number;
  /** Latents per token, default 5, at most 50. */
  topPerToken?: number;
}

export interface InspectToken {
  id: number;
  /** Display string with spaces and newlines made visible. */
  token: string;
  /** The most active latents on this token, by activation descending. */
  top: Array<{ latent: number; value: number }>;
}

export interface InspectResult {
  tokens: InspectToken[];
  /** Activation of `latent` per token when one was asked for, else null. */
  latentActs: number[] | null;
}
