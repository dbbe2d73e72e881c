// Steer domain of the API contract: continue a prompt twice, as the model is and with chosen SAE
// latents pushed along their decoder directions (add) or held at a value (clamp): at once
// (steer.generate) or token by token (steer.stream).
import type { ApiErrorInfo } from './errors.js';

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

/**
 * steer.stream answers with this at once; the completions then arrive as `steer.stream` events.
 * The client acknowledges what it has shown (steer.ack): the compute side runs at most
 * STEER_STREAM_WINDOW steps ahead of the last acknowledgement, and stops a stream that nobody
 * acknowledges for a while (the page that started it was closed), so no generation outlives its reader.
 */
export interface SteerStreamRef {
  streamId: string;
}

export interface SteerStreamAck {
  streamId: string;
  /** The `step` of the latest update the client has received. */
  received: number;
}

/** Steps a stream may run ahead of the client's last acknowledgement before it waits. */
export const STEER_STREAM_WINDOW = 4;

export type SteerStreamState = 'running' | 'done' | 'cancelled' | 'failed';

export interface SteerStreamUpdate {
  streamId: string;
  state: SteerStreamState;
  /** Steps taken (one token of each completion per step; one that reached <|endoftext|> stops growing). */
  step: number;
  /** maxNewTokens: the steps a stream takes unless both completions stop early. */
  total: number;
  /** Both completions so far. Updates are cumulative, so a client that missed one loses nothing. */
  result: SteerResult;
  /** Why a stream was cancelled or failed; null while running and when done. */
  error: ApiErrorInfo | null;
}

export type SteerEvent = { type: 'steer.stream'; update: SteerStreamUpdate };
