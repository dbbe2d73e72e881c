// Steer domain of the API contract: continue a prompt twice, as the model is and with chosen SAE
// latents pushed along their decoder directions (add) or held at a value (clamp).

export interface SteerParams {
  model: string;
  sae: string;
  prompt: string;
  /** Latents steered together, each with the same strength. */
  latents: number[];
  /** add: the multiple of each decoder direction added; clamp: the value each latent is held at. */
  strength: number;
  /** Default add. */
  mode?: 'add' | 'clamp';
  /** First prompt token steered (0 = the first token of the prompt, BOS not counted); default: every position, BOS included. */
  fromPosition?: number;
  /** New tokens per completion; default 20. */
  maxNewTokens?: number;
  /** 0 = greedy (default); above 0, both completions sample with the same seed. */
  temperature?: number;
  seed?: number;
}

/** Steer settings saved under a name in the workspace (steer/presets.json), to run again later. */
export interface SteerPreset extends SteerParams {
  /** Letters, digits, ".", "_" and "-"; saving under a taken name replaces that preset. */
  name: string;
}

export interface SteerPresetName {
  name: string;
}

export interface Completion {
  /** The new text only. */
  text: string;
  ids: number[];
  /** Display strings of `ids`. */
  tokens: string[];
}

export interface SteerResult {
  /** Display strings of the prompt's tokens (BOS not included). */
  promptTokens: string[];
  baseline: Completion;
  steered: Completion;
  /** The seed both completions sampled with; null when greedy. */
  seed: number | null;
}

export interface SteerSweepParams {
  model: string;
  sae: string;
  prompt: string;
  /** Latents steered together (add mode), each at the row's strength. */
  latents: number[];
  /** 2 to 9 strengths. */
  strengths: number[];
  /** New tokens per greedy continuation; default 12. */
  maxNewTokens?: number;
}

export interface SteerSweep {
  promptTokens: string[];
  /** The tokens the first latent's decoder direction promotes most (its logit effect), tracked per row. */
  tracked: Array<{ id: number; token: string }>;
  rows: Array<{
    strength: number;
    /** Greedy continuation at this strength. */
    text: string;
    tokens: string[];
    /** Next-token probability after the prompt of each tracked token. */
    probs: number[];
  }>;
}
