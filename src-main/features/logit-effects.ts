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

/** One block's effects reduced to what the store keeps, as typed arrays (they cross to and from worker threads). */
export interface LogitBlock {
  rows: number;
  /** [rows, top] the strongest tokens on each side, values signed as effects. */
  posV: Float32Array;
  posI: Int32Array;
  negV: Float32Array;
  negI: Int32Array;
  /** Per row, the histogram's range and [rows, bins] counts. */
  lo: Float32Array;
  hi: Float32Array;
  counts: Uint32Array;
}

/** The unembedding on one tensor engine, turning blocks of decoder rows into LogitBlocks. */
export class LogitKernel {
  private readonly unembed: tf.Tensor2D;
  private readonly gamma: tf.Tensor1D;
  private readonly exclude: tf.Tensor1D | null;

  constructor(private readonly unembedding: Unembedding, private readonly options: LogitEffectOptions) {
    this.unembed = tf.tensor2d(unembedding.wte, [unembedding.vocab, unembedding.dModel]); // [vocab, d_model]
    this.gamma = tf.tensor1d(unembedding.gamma); // [d_model]
    // -Infinity on tied tokens, so top-k on either side never picks them.
    this.exclude = unembedding.tied ? tf.tensor1d(Float32Array.from(unembedding.tied, (t) => (t ? -Infinity : 0))) : null;
  }

  /** Effects of `rows` decoder directions [rows, d_model]. */
  block(dirRows: Float32Array, rows: number): LogitBlock {
    const { top } = this.options;
    const { dModel, tied } = this.unembedding;
    const [effects, pos, neg] = tf.tidy(() => {
      const dirs = tf.tensor2d(dirRows, [rows, dModel]); // [rows, d_model]
      const e = tf.transpose(tf.matMul(this.unembed, tf.transpose(tf.mul(dirs, this.gamma)))); // [vocab, rows] → [rows, vocab]
      const [up, down] = this.exclude ? [tf.add(e, this.exclude), tf.add(tf.neg(e), this.exclude)] : [e, tf.neg(e)];
      return [e, tf.topk(up, top), tf.topk(down, top)] as const;
    });
    try {
      return reduceLogitBlock(
        effects.dataSync() as Float32Array,
        rows,
        { posV: pos.values.dataSync() as Float32Array, posI: pos.indices.dataSync() as Int32Array, negV: neg.values.dataSync() as Float32Array, negI: neg.indices.dataSync() as Int32Array },
        this.options,
        tied,
      );
    } finally {
      tf.dispose([effects, pos.values, pos.indices, neg.values, neg.indices]);
    }
  }

  dispose(): void {
    tf.dispose([this.unembed, this.gamma]);
    this.exclude?.dispose();
  }
}

/**
 * A block from its [rows, vocab] effects and the top-k of the effects and of their negation (tied tokens
 * masked): the negative side's values turned back into effects, and each row's histogram.
 */
export function reduceLogitBlock(
  effects: Float32Array,
  rows: number,
  topk: { posV: Float32Array; posI: Int32Array; negV: Float32Array; negI: Int32Array },
  o: LogitEffectOptions,
  tied: Uint8Array | null,
): LogitBlock {
  const vocab = effects.length / rows;
  const out: LogitBlock = { rows, ...topk, negV: topk.negV.map((v) => -v), lo: new Float32Array(rows), hi: new Float32Array(rows), counts: new Uint32Array(rows * o.histogramBins) };
  for (let r = 0; r < rows; r++) {
    const h = histogram(effects, r * vocab, vocab, o.histogramBins, tied);
    out.lo[r] = h.lo;
    out.hi[r] = h.hi;
    out.counts.set(h.counts, r * o.histogramBins);
  }
  return out;
}

/** Where blocks are computed: this thread's engine, or worker threads each with its own (logit-pool.ts). */
export interface LogitRunner {
  block(dirRows: Float32Array, rows: number): Promise<LogitBlock>;
  /** Blocks worth keeping in flight at once. */
  readonly parallel: number;
  dispose(): Promise<void>;
}

export function localLogitRunner(unembedding: Unembedding, options: LogitEffectOptions): LogitRunner {
  const kernel = new LogitKernel(unembedding, options);
  return { parallel: 1, block: async (dirs, rows) => kernel.block(dirs, rows), dispose: async () => kernel.dispose() };
}

/**
 * Logit effects of every latent of a decoder W_dec [dSae, dIn], yielded block by block in order.
 * `runner` computes the blocks (default: on this thread); up to its `parallel` blocks are in flight.
 */
export async function* logitEffects(
  wDec: Float32Array,
  dSae: number,
  unembedding: Unembedding,
  tokenText: (id: number) => string,
  options: Partial<LogitEffectOptions> = {},
  runner?: LogitRunner,
): AsyncGenerator<LogitRecord[]> {
  const o = { ...DEFAULT_LOGIT_OPTIONS, ...options };
  const { dModel } = unembedding;
  if (wDec.length !== dSae * dModel) {
    throw new Error(`decoder has ${wDec.length} values, expected d_sae × d_model = ${dSae} × ${dModel}: logit effects need an SAE on a residual-width site`);
  }
  const run = runner ?? localLogitRunner(unembedding, o);
  const starts = Array.from({ length: Math.ceil(dSae / o.block) }, (_, i) => i * o.block);
  const submit = (start: number) => {
    const rows = Math.min(o.block, dSae - start);
    // A copy: the rows travel to a worker thread, which must not detach the caller's decoder.
    return run.block(wDec.slice(start * dModel, (start + rows) * dModel), rows);
  };
  const inFlight: Array<Promise<LogitBlock>> = [];
  try {
    let next = 0;
    for (const start of starts) {
      while (next < starts.length && inFlight.length < run.parallel) inFlight.push(submit(starts[next++]));
      const block = await inFlight.shift()!;
      yield records(block, start, o, tokenText);
    }
  } finally {
    // Settle what is still in flight so no rejection goes unhandled, then free the engines.
    await Promise.allSettled(inFlight);
    if (!runner) await run.dispose();
  }
}

function records(b: LogitBlock, start: number, o: LogitEffectOptions, tokenText: (id: number) => string): LogitRecord[] {
  const { top, histogramBins } = o;
  const out: LogitRecord[] = [];
  for (let r = 0; r < b.rows; r++) {
    const side = (v: Float32Array, ids: Int32Array) => Array.from({ length: top }, (_, j) => ({ id: ids[r * top + j], token: tokenText(ids[r * top + j]), value: v[r * top + j] }));
    out.push({
      latent: start + r,
      positive: side(b.posV, b.posI),
      negative: side(b.negV, b.negI),
      histogram: { lo: b.lo[r], hi: b.hi[r], counts: b.counts.slice(r * histogramBins, (r + 1) * histogramBins) },
    });
  }
  return out;
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
