// The three sparse products of a top-k SAE step. On wasm they run as fused kernels
// (engine/kernels.ts); on other backends (tfjs-node, CUDA) as gather / segment-sum compositions,
// processed in row chunks so the [rows·width, d] intermediates stay bounded. Every op of the
// compositions has a TensorFlow GPU kernel that keeps its data in device memory; docs/benchmarks.md
// ("GPU readiness") lists them.
import { tf } from '../engine/backend.js';
import { SAE_KERNELS } from '../engine/kernels.js';

/** Largest [rows·width, d] intermediate the composite path builds at once, in elements (64 MB). */
const COMPOSITE_ELEMENTS = 2 ** 24;

/**
 * Latent ids are sliced, reshaped and concatenated as float32 and cast to int32 only where a gather
 * or a segment sum takes them: TensorFlow's GPU build registers int32 Slice, Reshape and ConcatV2 with
 * all inputs and outputs in host memory (slice_op.cc, reshape_op.cc: "b/25387198"), so those ops on
 * int32 ids would copy them to the host and back, waiting for the device, every step. float32 holds
 * every id exactly below 2^24.
 */
const EXACT_IDS = 2 ** 24;

function checkIdRange(rows: number): void {
  if (rows > EXACT_IDS) throw new Error(`sparse ops: ${rows} latents exceed the ${EXACT_IDS} that float32 latent ids hold exactly`);
}

/** ids[begin0 : begin0 + size0, begin1 : begin1 + size1] of int32 ids, without an int32 Slice. */
export function sliceIds(ids: tf.Tensor2D, begin: [number, number], size: [number, number]): tf.Tensor2D {
  return tf.tidy(() => ids.toFloat().slice(begin, size).toInt());
}

/** int32 ids flattened to [rows·width], without an int32 Reshape. */
export function flatIds(ids: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => ids.toFloat().reshape([-1]).toInt() as tf.Tensor1D);
}

/** int32 ids of consecutive token ranges joined along the batch, without an int32 ConcatV2. */
export function concatIds(pieces: tf.Tensor2D[]): tf.Tensor2D {
  return tf.tidy(() => tf.concat(pieces.map((p) => p.toFloat())).toInt());
}

/** Rows [start, start + n) of int32 ids [batch, width] held as float32 `idsF`, flattened, as int32. */
function idRows(idsF: tf.Tensor2D, start: number, n: number): tf.Tensor1D {
  return idsF.slice([start, 0], [n, idsF.shape[1]]).reshape([-1]).toInt() as tf.Tensor1D;
}

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
  checkIdRange(table.shape[0]);
  const step = chunkRows(width, d);
  const idsF = indices.toFloat() as tf.Tensor2D; // [batch, width]
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < batch; start += step) {
    const rows = Math.min(step, batch - start);
    parts.push(
      tf.tidy(() => {
        const ids = idRows(idsF, start, rows); // [rows·width]
        const picked = tf.gather(table, ids).reshape([rows, width, d]); // [rows, width, d]
        return picked.mul(coefs.slice([start, 0], [rows, width]).expandDims(2)).sum(1) as tf.Tensor2D; // [rows, d]
      }),
    );
  }
  idsF.dispose();
  return concatAndDispose(parts, [0, d]);
}

export function gatherDotComposite(table: tf.Tensor2D, indices: tf.Tensor2D, rows: tf.Tensor2D): tf.Tensor2D {
  const [batch, width] = indices.shape;
  const d = table.shape[1];
  checkIdRange(table.shape[0]);
  const step = chunkRows(width, d);
  const idsF = indices.toFloat() as tf.Tensor2D; // [batch, width]
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < batch; start += step) {
    const n = Math.min(step, batch - start);
    parts.push(
      tf.tidy(() => {
        const ids = idRows(idsF, start, n); // [n·width]
        const picked = tf.gather(table, ids).reshape([n, width, d]); // [n, width, d]
        return picked.mul(rows.slice([start, 0], [n, d]).expandDims(1)).sum(2) as tf.Tensor2D; // [n, width]
      }),
    );
  }
  idsF.dispose();
  return concatAndDispose(parts, [0, width]);
}

export function scatterOuterComposite(indices: tf.Tensor2D, coefs: tf.Tensor2D, rows: tf.Tensor2D, numRows: number): tf.Tensor2D {
  const [batch, width] = indices.shape;
  const d = rows.shape[1];
  checkIdRange(numRows);
  // Every chunk adds into the whole [numRows, d] sum (its segment sum zero-fills one as large too), so
  // chunks as large as the output (rows·width ≥ numRows) keep that traffic at most twice the products':
  // with AuxK's 384 entries per token and 262,144 latents, 64 MB chunks would move ~0.5 TB a step.
  const step = Math.max(chunkRows(width, d), Math.floor(numRows / Math.max(1, width)));
  const idsF = indices.toFloat() as tf.Tensor2D; // [batch, width]
  let total = tf.zeros([numRows, d]) as tf.Tensor2D; // [numRows, d]
  for (let start = 0; start < batch; start += step) {
    const n = Math.min(step, batch - start);
    const next = tf.tidy(() => {
      const outer = coefs.slice([start, 0], [n, width]).expandDims(2).mul(rows.slice([start, 0], [n, d]).expandDims(1)); // [n, width, d]
      const ids = idRows(idsF, start, n); // [n·width]
      return total.add(tf.unsortedSegmentSum(outer.reshape([n * width, d]), ids, numRows)) as tf.Tensor2D; // [numRows, d]
    });
    total.dispose();
    total = next;
  }
  idsF.dispose();
  return total;
}

function concatAndDispose(parts: tf.Tensor2D[], emptyShape: [number, number]): tf.Tensor2D {
  if (parts.length === 0) return tf.zeros(emptyShape);
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}
