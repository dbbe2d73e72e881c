// Random sparse activation batches for the streaming-statistics tests.
import type { ActivationBatch } from '../../../src-main/features/batch.js';
import { seededRandom } from '../../../src-main/features/rng.js';

/** `windows` windows of `ctx` tokens, each latent firing with probability `p` at a random strength. */
export function randomBatches(options: { batches: number; windows: number; ctx: number; dSae: number; p: number; seed: number }): ActivationBatch[] {
  const random = seededRandom(options.seed);
  const out: ActivationBatch[] = [];
  for (let b = 0; b < options.batches; b++) {
    const rows = options.windows * options.ctx;
    const tokens = new Int32Array(rows).map(() => Math.floor(random() * 50257));
    const acts = new Float32Array(rows * options.dSae).map(() => (random() < options.p ? random() * 10 : 0));
    out.push({ tokens, acts, ctx: options.ctx, dSae: options.dSae, firstWindow: b * options.windows });
  }
  return out;
}
