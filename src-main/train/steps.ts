// A family run's optimisation, on any source of activation batches: GPT-2 through the shuffling
// buffer (trainer.ts) or synthetic activations from a planted dictionary (bench/recovery.ts). The
// normalisation is fitted and b_dec initialised on a sample; then every size steps on each batch.
import { tf } from '../engine/backend.js';
import { applyNormalization, disposeNormalized, fitNormalization, type NormalizationFit } from '../sae/normalize.js';
import type { SaeRunSettings } from './config.js';
import type { TrainEventHandler } from './events.js';
import { SaeFamily, type CreateSae } from './family.js';

const NO_CHECKPOINTS = 'No checkpoints are kept in this run.';

/** Where training batches come from: row-major [batch, dIn] activations (ActivationStream is one). */
export interface BatchSource {
  next(): Promise<Float32Array>;
}

/** Fresh SAEs: the normalisation fitted and b_dec initialised on `sample` (raw activations, row-major [samples, dIn]). */
export async function startFamily(settings: SaeRunSettings, dIn: number, sizes: number[], sample: Float32Array, make?: CreateSae): Promise<{ family: SaeFamily; normalization: NormalizationFit }> {
  const x = tf.tensor2d(sample, [sample.length / dIn, dIn]); // [samples, d]
  try {
    const normalization = fitNormalization(settings.normalize, x);
    const normalized = applyNormalization(normalization, x);
    try {
      return { family: await SaeFamily.create(settings, dIn, sizes, normalized.x, make), normalization };
    } finally {
      disposeNormalized(normalized);
    }
  } finally {
    x.dispose();
  }
}

export interface StepsInput {
  family: SaeFamily;
  batches: BatchSource;
  normalization: NormalizationFit;
  dIn: number;
  /** Tokens per batch. */
  batch: number;
  /** Steps already done (a resumed run's) and the run's total. */
  from: number;
  steps: number;
  /** Steps between progress events. */
  logEvery: number;
  emit: TrainEventHandler;
  /** Stops the loop before the next step. */
  signal?: AbortSignal;
  /** Periodic checkpoints (every `every` steps, 0: none) and what a diverged run says of them. */
  checkpoints?: { every: number; save: (step: number) => Promise<void>; note: () => string };
}

/** Steps every size from `from` until `steps` or an abort: the step reached, and whether it was aborted. */
export async function runSteps(input: StepsInput): Promise<{ step: number; aborted: boolean }> {
  const { family, batches, normalization, dIn, batch, steps, logEvery, emit, signal, checkpoints } = input;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let step = input.from;
  while (step < steps) {
    // On wasm and CPU every await below may settle as a microtask, which would starve the event
    // loop: SIGINT handlers and the app's cancel message only run if we give it a turn.
    await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) return { step, aborted: true };
    const x = tf.tensor2d(await batches.next(), [batch, dIn]); // [batch, d]
    const normalized = applyNormalization(normalization, x);
    try {
      await family.step(normalized.x, step + 1, checkpoints?.note() ?? NO_CHECKPOINTS);
    } finally {
      x.dispose();
      disposeNormalized(normalized);
    }
    step++;
    if (step % logEvery === 0 || step === steps) {
      // Off wasm the steps' metrics are still on the device: one read per report, not per step.
      await family.settle(checkpoints?.note() ?? NO_CHECKPOINTS);
      const rate = ((step - input.from) * batch) / Math.max(seconds(), 1e-9);
      emit({
        type: 'progress',
        step,
        totalSteps: steps,
        tokens: step * batch,
        totalTokens: steps * batch,
        tokensPerSecond: rate,
        etaSeconds: ((steps - step) * batch) / Math.max(rate, 1e-9),
        perSae: family.takeProgress(),
      });
    }
    if (checkpoints && checkpoints.every > 0 && step % checkpoints.every === 0 && step < steps) await checkpoints.save(step);
  }
  return { step, aborted: false };
}
