// Reading steps' results back from the device in one transfer (api.ts PendingStep): on tfjs-node and
// CUDA every read waits for the device to drain its queue, so the trainer reads at its report
// interval, not per step.
import { tf } from '../engine/backend.js';
import type { PendingStep, StepResult } from './api.js';

/** A step whose result is already on the host. */
export function settledStep(result: StepResult): PendingStep {
  return { scalars: [], resolve: () => result };
}

/** The results of `steps`, in order; their device scalars are read in one transfer and freed. */
export async function readSteps(steps: PendingStep[]): Promise<StepResult[]> {
  const scalars = steps.flatMap((s) => s.scalars);
  let values: number[] = [];
  if (scalars.length > 0) {
    const stacked = tf.stack(scalars); // [Σ scalars]
    try {
      values = Array.from(await stacked.data());
    } finally {
      stacked.dispose();
      tf.dispose(scalars);
    }
  }
  let at = 0;
  return steps.map((s) => {
    const result = s.resolve(values.slice(at, at + s.scalars.length));
    at += s.scalars.length;
    return result;
  });
}
