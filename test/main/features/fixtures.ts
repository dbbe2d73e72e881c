// Random sparse activation batches for the streaming-statistics tests.
import type { WindowSet } from '../../../src-main/data/windows.js';
import type { ActivationBatch } from '../../../src-main/features/batch.js';
import { seededRandom } from '../../../src-shared/random.js';

/** `windows` windows of `ctx` tokens, each latent firing with probability `p` at a random strength. */
export type DenseBatch = ActivationBatch & { acts: Float32Array };

export function randomBatches(options: { batches: number; windows: number; ctx: number; dSae: number; p: number; seed: number }): DenseBatch[] {
  const random = seededRandom(options.seed);
  const out: DenseBatch[] = [];
  for (let b = 0; b < options.batches; b++) {
    const rows = options.windows * options.ctx;
    const tokens = new Int32Array(rows).map(() => Math.floor(random() * 50257));
    const acts = new Float32Array(rows * options.dSae).map(() => (random() < options.p ? random() * 10 : 0));
    out.push({ tokens, acts, ctx: options.ctx, dSae: options.dSae, firstWindow: b * options.windows });
  }
  return out;
}

/** The same batch as a top-k code: each row's k largest activations (ties and zeros included). */
export function toSparse(batch: DenseBatch, k: number): ActivationBatch {
  const rows = batch.tokens.length;
  const values = new Float32Array(rows * k);
  const indices = new Int32Array(rows * k);
  for (let row = 0; row < rows; row++) {
    const order = Array.from({ length: batch.dSae }, (_, j) => j).sort((a, b) => batch.acts[row * batch.dSae + b] - batch.acts[row * batch.dSae + a]);
    for (let j = 0; j < k; j++) {
      indices[row * k + j] = order[j];
      values[row * k + j] = batch.acts[row * batch.dSae + order[j]];
    }
  }
  return { tokens: batch.tokens, sparse: { values, indices, k }, ctx: batch.ctx, dSae: batch.dSae, firstWindow: batch.firstWindow };
}

/** The WindowSet the batches were cut from: each window a BOS then its `ctx` tokens, as the harvest's are. */
export function windowsOf(batches: ActivationBatch[]): WindowSet {
  const ctx = batches[0].ctx;
  const count = batches.reduce((n, b) => Math.max(n, b.firstWindow + b.tokens.length / ctx), 0);
  const tokens = new Uint16Array(count * (ctx + 1)).fill(50256);
  for (const b of batches) {
    for (let w = 0; w < b.tokens.length / ctx; w++) tokens.set(b.tokens.subarray(w * ctx, (w + 1) * ctx), (b.firstWindow + w) * (ctx + 1) + 1);
  }
  return { contextSize: ctx + 1, count, tokens };
}
