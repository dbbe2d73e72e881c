// What each latent does to the output: its decoder direction read straight through ln_final and the
// unembedding ("direct logit attribution"). Convention: effects = W_dec · diag(γ_lnf) · W_Uᵀ, i.e.
// the direction is scaled by ln_f's gain and the final LayerNorm's centring and 1/σ are ignored (they
// depend on the whole residual, not on the latent); GPT-2 has no unembedding bias. Computed in blocks
// of latents so the [block, vocab] product stays small, as W_U · (diag(γ) W_decᵀ) then transposed:
// wasm's matMul streams its whole right operand per few rows of the left one, so the small block
// goes on the right (1 s of CPU per 256 latents on GPT-2 small against 2.4 s the other way round).
// Tokens whose unembedding row is tied to another's (the tokens a corpus-vocabulary `lm train` never
// saw share one row) are left out of the top tokens and the histogram: they all move together and
// name nothing.
import { tf } from '../engine/backend.js';
import type { LogitRecord } from '../store/records.js';
import type { Unembedding } from './unembedding.js';

export interface LogitEffectOptions {
  /** Tokens kept on each side; default 10. */
  top: number;
  /** Linear bins of the histogram of all vocab effects; default 40. */
  histogramBins: number;
  /** Latents per block; default 256. */
  block: number;
}

export const DEFAULT_LOGIT_OPTIONS: LogitEffectOptions = { top: 10, histogramBins: 40, block: 256 };

/** Logit effects of every latent of a decoder W_dec [dSae, dIn], yielded block by block. */
export async function* logitEffects(
  wDec: Float32Array,
  dSae: number,
  unembedding: Unembedding,
  tokenText: (id: number) => string,
  options: Partial<LogitEffectOptions> = {},
): AsyncGenerator<LogitRecord[]> {
  const { top, histogramBins, block } = { ...DEFAULT_LOGIT_OPTIONS, ...options };
  const { dModel, vocab } = unembedding;
  if (wDec.length !== dSae * dModel) {
    throw new Error(`decoder has ${wDec.length} values, expected d_sae × d_model = ${dSae} × ${dModel}: logit effects need an SAE on a residual-width site`);
  }
  const unembed = tf.tensor2d(unembedding.wte, [vocab, dModel]); // [vocab, d_model]
  const gamma = tf.tensor1d(unembedding.gamma); // [d_model]
  const { tied } = unembedding;
  // -Infinity on tied tokens, so top-k on either side never picks them.
  const exclude = tied ? tf.tensor1d(Float32Array.from(tied, (t) => (t ? -Infinity : 0))) : null;
  try {
    for (let start = 0; start < dSae; start += block) {
      const rows = Math.min(block, dSae - start);
      const [effects, pos, neg] = tf.tidy(() => {
        const dirs = tf.tensor2d(wDec.subarray(start * dModel, (start + rows) * dModel), [rows, dModel]); // [rows, d_model]
        const e = tf.transpose(tf.matMul(unembed, tf.transpose(tf.mul(dirs, gamma)))); // [vocab, rows] → [rows, vocab]
        const [up, down] = exclude ? [tf.add(e, exclude), tf.add(tf.neg(e), exclude)] : [e, tf.neg(e)];
        return [e, tf.topk(up, top), tf.topk(down, top)] as const;
      });
      const [values, posV, posI, negV, negI] = await Promise.all([effects.data(), pos.values.data(), pos.indices.data(), neg.values.data(), neg.indices.data()]);
      tf.dispose([effects, pos.values, pos.indices, neg.values, neg.indices]);
      const records: LogitRecord[] = [];
      for (let r = 0; r < rows; r++) {
        const side = (v: ArrayLike<number>, ids: ArrayLike<number>, sign: number) =>
          Array.from({ length: top }, (_, j) => ({ id: ids[r * top + j], token: tokenText(ids[r * top + j]), value: sign * v[r * top + j] }));
        records.push({
          latent: start + r,
          positive: side(posV, posI, 1),
          negative: side(negV, negI, -1),
          histogram: histogram(values as Float32Array, r * vocab, vocab, histogramBins, tied),
        });
      }
      yield records;
    }
  } finally {
    unembed.dispose();
    gamma.dispose();
    exclude?.dispose();
  }
}

/** Linear histogram of values[offset, offset + n) over their own [min, max], skipping tied tokens. */
function histogram(values: Float32Array, offset: number, n: number, bins: number, tied: Uint8Array | null): { lo: number; hi: number; counts: Uint32Array } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = offset; i < offset + n; i++) {
    if (tied?.[i - offset]) continue;
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const counts = new Uint32Array(bins);
  const scale = hi > lo ? bins / (hi - lo) : 0;
  for (let i = offset; i < offset + n; i++) if (!tied?.[i - offset]) counts[Math.min(bins - 1, Math.floor((values[i] - lo) * scale))]++;
  return { lo, hi, counts };
}
