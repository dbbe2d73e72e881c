// The three sparse products of a top-k SAE step. On wasm they run as fused kernels
// (engine/kernels.ts); on other backends (tfjs-node, CUDA) as gather / segment-sum compositions,
// processed in row chunks so the [rows·width, d] intermediates stay bounded.
import { tf } from '../engine/backend.js';
import { SAE_KERNELS } from '../engine/kernels.js';

/** Largest [rows·width, d] intermediate the composite path builds at once, in elements (64 MB). */
const COMPOSITE_ELEMENTS = 2 ** 24;

function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** out[t] = Σ_s coefs[t, s] · table[indices[t, s]]: decoding a sparse code. */
export function gatherCombine(table: tf.Tensor2D, indices: tf.Tensor2D, coefs: tf.Tensor2D): tf.Tensor2D {
  if (hasKernel(SAE_KERNELS.gatherCombine)) {
    return tf.engine().runKernel(SAE_KERNELS.gatherCombine, { table, indices, coefs }, {}) as tf.Tensor2D; // [batch, d]
  }
  return gatherCombineComposite(table, indices, coefs);
}

/** out[t, s] = table[indices[t, s]] · rows[t]: the code's gradient from the reconstruction's. */
export function gatherDot(table: tf.Tensor2D, indices: tf.Tensor2D, rows: tf.Tensor2D): tf.Tensor2D {
  if (hasKernel(SAE_KERNELS.gatherDot)) {
    return tf.engine().runKernel(SAE_KERNELS.gatherDot, { table, indices, rows }, {}) as tf.Tensor2D; // [batch, width]
  }
  return gatherDotComposite(table, indices, rows);
}

/** out[indices[t, s]] += coefs[t, s] · rows[t], out [numRows, d]: a weight gradient touching k rows per token. */
export function scatterOuter(indices: tf.Tensor2D, coefs: tf.Tensor2D, rows: tf.Tensor2D, numRows: number): tf.Tensor2D {
  if (hasKernel(SAE_KERNELS.scatterOuter)) {
    return tf.engine().runKernel(SAE_KERNELS.scatterOuter, { indices, coefs, rows }, { numRows }) as tf.Tensor2D; // [numRows, d]
  }
  return scatterOuterComposite(indices, coefs, rows, numRows);
}

function chunkRows(width: number, d: number): number {
  return Math.max(1, Math.floor(COMPOSITE_ELEMENTS / Math.max(1, width * d)));
}

export function gatherCombineComposite(table: tf.Tensor2D, indices: tf.Tensor2D, coefs: tf.Tensor2D): tf.Tensor2D {
  const [batch, width] = indices.shape;
  const d = table.shape[1];
  const step = chunkRows(width, d);
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < batch; start += step) {
    const rows = Math.min(step, batch - start);
    parts.push(
      tf.tidy(() => {
        const ids = indices.slice([start, 0], [rows, width]).reshape([-1]) as tf.Tensor1D; // [rows·width]
        const picked = tf.gather(table, ids).reshape([rows, width, d]); // [rows, width, d]
        return picked.mul(coefs.slice([start, 0], [rows, width]).expandDims(2)).sum(1) as tf.Tensor2D; // [rows, d]
      }),
    );
  }
  return concatAndDispose(parts, [0, d]);
}

export function gatherDotComposite(table: tf.Tensor2D, indices: tf.Tensor2D, rows: tf.Tensor2D): tf.Tensor2D {
  const [batch, width] = indices.shape;
  const d = table.shape[1];
  const step = chunkRows(width, d);
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < batch; start += step) {
    const n = Math.min(step, batch - start);
    parts.push(
      tf.tidy(() => {
        const ids = indices.slice([start, 0], [n, width]).reshape([-1]) as tf.Tensor1D; // [n·width]
        const picked = tf.gather(table, ids).reshape([n, width, d]); // [n, width, d]
        return picked.mul(rows.slice([start, 0], [n, d]).expandDims(1)).sum(2) as tf.Tensor2D; // [n, width]
      }),
    );
  }
  return concatAndDispose(parts, [0, width]);
}

export function scatterOuterComposite(indices: tf.Tensor2D, coefs: tf.Tensor2D, rows: tf.Tensor2D, numRows: number): tf.Tensor2D {
  const [batch, width] = indices.shape;
  const d = rows.shape[1];
  const step = chunkRows(width, d);
  let total = tf.zeros([numRows, d]) as tf.Tensor2D; // [numRows, d]
  for (let start = 0; start < batch; start += step) {
    const n = Math.min(step, batch - start);
    const next = tf.tidy(() => {
      const outer = coefs.slice([start, 0], [n, width]).expandDims(2).mul(rows.slice([start, 0], [n, d]).expandDims(1)); // [n, width, d]
      const ids = indices.slice([start, 0], [n, width]).reshape([-1]) as tf.Tensor1D; // [n·width]
      return total.add(tf.unsortedSegmentSum(outer.reshape([n * width, d]), ids, numRows)) as tf.Tensor2D; // [numRows, d]
    });
    total.dispose();
    total = next;
  }
  return total;
}

function concatAndDispose(parts: tf.Tensor2D[], emptyShape: [number, number]): tf.Tensor2D {
  if (parts.length === 0) return tf.zeros(emptyShape);
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}
