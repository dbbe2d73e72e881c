// Typed events a pretraining run emits, for the CLI's progress line and the app's job view and chart.

export interface LmRunResult {
  /** The model folder written (a standard Hugging Face GPT-2 folder). */
  out: string;
  steps: number;
  /** Predicted positions trained on. */
  tokens: number;
  /** Mean training loss (nats/token) over the last logging interval. */
  trainLoss: number;
  /** Held-out cross-entropy of the exported model, nats/token, over the held-out documents' windows. */
  heldOutLoss: number;
  /** The same for the add-one unigram model of the training tokens. */
  unigramLoss: number;
  /** Training throughput over every session of the run. */
  tokensPerS: number;
  /** Parameters of the exported model (wte counted once: it is tied). */
  parameters: number;
}

export type LmTrainEvent =
  | {
      type: 'progress';
      step: number;
      totalSteps: number;
      tokens: number;
      totalTokens: number;
      /** This session's throughput. */
      tokensPerSecond: number;
      /** Seconds left at this session's rate. */
      etaSeconds: number;
      /** Mean training loss since the previous progress event, nats/token. */
      loss: number;
      /** Learning rate of the latest step. */
      lr: number;
      /** Global gradient norm of the latest step, before clipping. */
      gradNorm: number;
    }
  | { type: 'eval'; step: number; tokens: number; heldOutLoss: number; unigramLoss: number }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'checkpoint'; step: number; path: string }
  | { type: 'snapshot'; step: number; tokens: number; dir: string }
  | { type: 'done'; status: 'finished' | 'cancelled'; step: number; result: LmRunResult | null };

export type LmTrainEventHandler = (event: LmTrainEvent) => void;
