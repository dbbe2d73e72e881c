// Typed events a family training run emits, for the CLI's progress bar and the app's job view.

/** Training metrics of one dictionary size, averaged over the steps since the previous event. */
export interface SaeProgress {
  dSae: number;
  /** Total loss minimised (sum of `losses`). */
  loss: number;
  /** Loss terms by name (mse, auxk, multi_topk, l1). */
  losses: Record<string, number>;
  /** Σ‖x − x̂‖² ÷ Σ‖x − mean(x)‖² per batch, on the SAE's normalised inputs (see NMSE_DEFINITION). */
  nmse: number;
  /** Mean non-zero latents per token. */
  l0: number;
  /** Latents that have not fired within the dead window, after the latest step. */
  deadFraction: number;
}

export const NMSE_DEFINITION = 'nMSE = sum ||x - x_hat||^2 / sum ||x - mean(x)||^2 over each batch (mean over the batch), on normalised inputs';

export type TrainEvent =
  | {
      type: 'progress';
      /** Steps done / planned. */
      step: number;
      totalSteps: number;
      /** Activation tokens trained on / planned. */
      tokens: number;
      totalTokens: number;
      /** Training throughput of this session (every size together, GPT-2 forward included). */
      tokensPerSecond: number;
      /** Seconds left at this session's rate. */
      etaSeconds: number;
      perSae: SaeProgress[];
    }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'checkpoint'; step: number; path: string }
  | { type: 'done'; status: 'finished' | 'cancelled'; step: number; results: SaeRunResult[] };

/** The figures `train --json` prints for one size (snake_case there). */
export interface SaeRunResult {
  dSae: number;
  k: number | null;
  /** Held-out nMSE in the raw activation space (eval.ts), or the last training nMSE when evals are off. */
  nmse: number;
  l0: number;
  /** Training dead fraction at the end (latents silent for the whole dead window). */
  deadFrac: number;
  /** CE with x̂ spliced in minus clean CE, nats; null when evals are off. */
  deltaLmLoss: number | null;
  tokens: number;
  tokensPerS: number;
  /** The SAELens folder written. */
  dir: string;
}

export type TrainEventHandler = (event: TrainEvent) => void;
