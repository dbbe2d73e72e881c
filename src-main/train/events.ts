// Typed events a family training run emits, for the CLI's progress bar and the app's job view.

/** Training metrics of one dictionary size, averaged over the steps since the previous event. */
export interface SaeProgress {
  dSae: number;
  /** Total loss minimised (sum of `losses`). */
  loss: number;
  /** Loss terms by name (mse, auxk, multi_topk, l1). */
  losses: Record<string, number>;
  /** Training FVU: Σ‖x − x̂‖² ÷ Σ‖x − mean(x)‖² per batch, on the SAE's normalised inputs (TRAIN_FVU_DEFINITION). */
  trainFvu: number;
  /** Mean non-zero latents per token. */
  l0: number;
  /** Latents that have not fired within the dead window, after the latest step. */
  deadFraction: number;
}

export const TRAIN_FVU_DEFINITION = 'train FVU = sum ||x - x_hat||^2 / sum ||x - mean(x)||^2 over one training batch, mean(x) over the batch, on the normalised inputs the SAE trains on';
export const EVAL_FVU_DEFINITION = 'eval FVU = sum ||x - x_hat||^2 / sum ||x - mean(x)||^2 over the held-out eval tokens, in the raw activation space (x_hat mapped back through the normalisation)';
export const DEAD_DEFINITION = 'dead = not fired in the last 10M training tokens, or in the whole run if it was shorter (Gao et al. 2024)';

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
  /** Training FVU of the final step's batch, on normalised inputs (TRAIN_FVU_DEFINITION). */
  trainFvu: number | null;
  /** Held-out FVU in the raw activation space (EVAL_FVU_DEFINITION); null when evals are off. */
  evalFvu: number | null;
  /** Mean active latents per token on the final training batch. */
  trainL0: number | null;
  /** Mean active latents per token on the eval tokens (BatchTopK's inference threshold applies); null when evals are off. */
  evalL0: number | null;
  /** Fraction of latents dead at the end (DEAD_DEFINITION). */
  deadFrac: number;
  /** CE with x̂ spliced in minus clean CE, nats; null when evals are off. */
  deltaLmLoss: number | null;
  /** SAELens's CE-loss score (zero ablation at every position); null when evals are off. */
  ceLossScore: number | null;
  tokens: number;
  tokensPerS: number;
  /** The SAELens folder written. */
  dir: string;
}

export type TrainEventHandler = (event: TrainEvent) => void;
