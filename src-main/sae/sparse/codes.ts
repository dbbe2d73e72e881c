// Sparse codes in host memory (and their tensor form), and the cheap per-token work between the sharded encoder and the
// sparse decoder: merging per-shard candidates into a global top-k (OpenAI's n_op_shards), the
// BatchTopK threshold, and splitting a code back into per-shard pieces with local latent ids.
import type { tf } from '../../engine/backend.js';

/** Row-major [batch, width] per-token lists; value 0 marks an inactive or padding slot. */
export interface HostCode {
  values: Float32Array;
  indices: Int32Array;
  batch: number;
  width: number;
}

/** The same lists as tensors ([batch, width] float32 values, int32 ids), for steps that stay on the device. */
export interface TensorCode {
  values: tf.Tensor2D;
  indices: tf.Tensor2D;
}

export function emptyCode(batch: number, width: number): HostCode {
  return { values: new Float32Array(batch * width), indices: new Int32Array(batch * width), batch, width };
}

/**
 * Per token, the `width` largest entries of the union of `parts`, in descending order. Each part
 * must already be sorted in descending order per token (tf.topk's output is).
 */
export function mergeTopK(parts: HostCode[], width: number): HostCode {
  const batch = parts[0].batch;
  const available = parts.reduce((sum, p) => sum + p.width, 0);
  if (width > available) throw new Error(`mergeTopK: asked for ${width} entries per token but the parts hold ${available}`);
  const out = emptyCode(batch, width);
  const heads = new Int32Array(parts.length);
  for (let t = 0; t < batch; t++) {
    heads.fill(0);
    for (let s = 0; s < width; s++) {
      let best = -1;
      let bestValue = -Infinity;
      for (let p = 0; p < parts.length; p++) {
        const part = parts[p];
        if (heads[p] >= part.width) continue;
        const v = part.values[t * part.width + heads[p]];
        if (best < 0 || v > bestValue) {
          best = p;
          bestValue = v;
        }
      }
      const part = parts[best];
      out.values[t * width + s] = bestValue;
      out.indices[t * width + s] = part.indices[t * part.width + heads[best]];
      heads[best]++;
    }
  }
  return out;
}

/** The first `width` entries per token, with ReLU applied (top-k's kept values pass through a ReLU). */
export function leadingRelu(code: HostCode, width: number): HostCode {
  const out = emptyCode(code.batch, width);
  for (let t = 0; t < code.batch; t++) {
    for (let s = 0; s < width; s++) {
      out.values[t * width + s] = Math.max(0, code.values[t * code.width + s]);
      out.indices[t * width + s] = code.indices[t * code.width + s];
    }
  }
  return out;
}

/** Keeps entries with value ≥ threshold and > 0; zeroes the rest (BatchTopK and its inference rule). */
export function thresholded(code: HostCode, threshold: number): HostCode {
  const values = code.values.map((v) => (v >= threshold && v > 0 ? v : 0));
  return { ...code, values, indices: code.indices.slice() };
}

/** The `count`-th largest value in the code (BatchTopK's threshold over a whole batch). */
export function kthLargest(code: HostCode, count: number): number {
  if (count <= 0) return Infinity;
  const sorted = code.values.slice().sort();
  if (count > sorted.length) return -Infinity;
  return sorted[sorted.length - count];
}

/** The smallest positive value in the code, or undefined when none is positive. */
export function minPositive(code: HostCode): number | undefined {
  let smallest = Infinity;
  for (const v of code.values) if (v > 0 && v < smallest) smallest = v;
  return smallest === Infinity ? undefined : smallest;
}

/** Non-zero entries in the code. */
export function countActive(code: HostCode): number {
  let n = 0;
  for (const v of code.values) if (v !== 0) n++;
  return n;
}

/**
 * Splits a code into one per latent range, with ids relative to the range. Inactive entries are
 * dropped (they contribute nothing to the decoder or the gradients); each piece is as wide as its
 * busiest token, at least 1, padded with value 0.
 */
export function splitByRange(code: HostCode, ranges: Array<{ offset: number; count: number }>): HostCode[] {
  const { batch, width } = code;
  const owner = (id: number): number => {
    for (let r = ranges.length - 1; r >= 0; r--) if (id >= ranges[r].offset) return r;
    return 0;
  };
  const counts = ranges.map(() => new Int32Array(batch));
  for (let t = 0; t < batch; t++) {
    for (let s = t * width; s < (t + 1) * width; s++) if (code.values[s] !== 0) counts[owner(code.indices[s])][t]++;
  }
  const pieces = ranges.map((_, r) => emptyCode(batch, counts[r].reduce((a, b) => Math.max(a, b), 1)));
  const fill = ranges.map(() => 0);
  for (let t = 0; t < batch; t++) {
    fill.fill(0);
    for (let s = t * width; s < (t + 1) * width; s++) {
      const v = code.values[s];
      if (v === 0) continue;
      const id = code.indices[s];
      const r = owner(id);
      const piece = pieces[r];
      const at = t * piece.width + fill[r]++;
      piece.values[at] = v;
      piece.indices[at] = id - ranges[r].offset;
    }
  }
  return pieces;
}
