// Kernels the wasm backend lacks, registered as plain loops over the wasm heap. Without
// UnsortedSegmentSum the gradient of `gather` (embedding lookups, sparse decoders) fails on wasm.
// The Sae* kernels are the sparse products of a top-k SAE step (sae/sparse-ops.ts): each touches
// only the k selected rows per token, B·k·d work instead of the dense B·n·d, and fuses the gather,
// the product and the reduction so no [B·k, d] intermediate is ever allocated; their row loops run
// in WebAssembly SIMD on the tensors in place (simd.ts). SaeAdam is a one-pass Adam step.
import * as tf from '@tensorflow/tfjs';
import { attentionKernels } from './causal-attention.js';
import { simdSupported } from './simd.js';
import { address, simdOps, type KernelArgs, type WasmBackendLike } from './wasm-heap.js';

let registered = false;

/** out[segmentIds[i], ...] += x[i, ...]; segments outside [0, numSegments) are dropped, as in TF. */
function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const wasm = backend as WasmBackendLike;
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32, got ${x.dtype}`);
  if (segmentIds.shape.length !== 1) throw new Error(`UnsortedSegmentSum on wasm needs 1-D segment ids, got shape [${segmentIds.shape}]`);
  const rows = x.shape[0] ?? 1;
  const rowSize = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = wasm.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
  const outValues = wasm.typedArrayFromHeap(out);
  outValues.fill(0);
  const xValues = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  for (let i = 0; i < rows; i++) {
    const segment = ids[i];
    if (segment < 0 || segment >= numSegments) continue;
    const src = i * rowSize;
    const dst = segment * rowSize;
    for (let j = 0; j < rowSize; j++) outValues[dst + j] += xValues[src + j];
  }
  return out;
}

/** Checks the shapes shared by the Sae* kernels; `indices` and `coefs` are [batch, width]. */
function sparseShapes(name: string, table: tf.TensorInfo | null, indices: tf.TensorInfo, rows: tf.TensorInfo | null): { batch: number; width: number } {
  if (indices.shape.length !== 2 || indices.dtype !== 'int32') throw new Error(`${name}: indices must be int32 [batch, width], got ${indices.dtype} [${indices.shape}]`);
  const [batch, width] = indices.shape;
  if (table && (table.shape.length !== 2 || table.dtype !== 'float32')) throw new Error(`${name}: table must be float32 [rows, d], got ${table.dtype} [${table.shape}]`);
  if (rows && (rows.shape.length !== 2 || rows.shape[0] !== batch)) throw new Error(`${name}: rows must be [${batch}, d], got [${rows.shape}]`);
  if (table && rows && table.shape[1] !== rows.shape[1]) throw new Error(`${name}: table width ${table.shape[1]} differs from rows width ${rows.shape[1]}`);
  return { batch, width };
}

function badIndex(name: string, id: number, limit: number): never {
  throw new Error(`${name}: latent id ${id} is outside [0, ${limit})`);
}

/** out[t] = Σ_s coefs[t, s] · table[indices[t, s]]  — a weighted embedding bag (the sparse decoder). */
function saeGatherCombine({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const wasm = backend as WasmBackendLike;
  const { table, indices, coefs } = inputs as Record<string, tf.TensorInfo>;
  const { batch, width } = sparseShapes('SaeGatherCombine', table, indices, null);
  const [tableRows, d] = table.shape;
  const out = wasm.makeOutput([batch, d], 'float32');
  const o = wasm.typedArrayFromHeap(out) as Float32Array;
  o.fill(0);
  const ids = wasm.typedArrayFromHeap(indices) as Int32Array;
  const c = wasm.typedArrayFromHeap(coefs) as Float32Array;
  const ops = simdOps(wasm);
  const [outAt, tableAt] = [address(wasm, out), address(wasm, table)];
  for (let t = 0; t < batch; t++) {
    const dst = t * d;
    for (let s = t * width, end = s + width; s < end; s++) {
      const coef = c[s];
      if (coef === 0) continue;
      const id = ids[s];
      if (id < 0 || id >= tableRows) badIndex('SaeGatherCombine', id, tableRows);
      ops.axpy(outAt + 4 * dst, coef, tableAt + 4 * id * d, d);
    }
  }
  return out;
}

/** out[t, s] = table[indices[t, s]] · rows[t]  — the gradient of the sparse decoder w.r.t. the code. */
function saeGatherDot({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const wasm = backend as WasmBackendLike;
  const { table, indices, rows } = inputs as Record<string, tf.TensorInfo>;
  const { batch, width } = sparseShapes('SaeGatherDot', table, indices, rows);
  const [tableRows, d] = table.shape;
  const out = wasm.makeOutput([batch, width], 'float32');
  const o = wasm.typedArrayFromHeap(out) as Float32Array;
  const ids = wasm.typedArrayFromHeap(indices) as Int32Array;
  const ops = simdOps(wasm);
  const [tableAt, rowsAt] = [address(wasm, table), address(wasm, rows)];
  for (let t = 0; t < batch; t++) {
    const row = t * d;
    for (let s = t * width, end = s + width; s < end; s++) {
      const id = ids[s];
      if (id < 0 || id >= tableRows) badIndex('SaeGatherDot', id, tableRows);
      o[s] = ops.dot(tableAt + 4 * id * d, rowsAt + 4 * row, d);
    }
  }
  return out;
}

/** out[indices[t, s]] += coefs[t, s] · rows[t], out [numRows, d]  — the sparse weight gradients. */
function saeScatterOuter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const wasm = backend as WasmBackendLike;
  const { indices, coefs, rows } = inputs as Record<string, tf.TensorInfo>;
  const numRows = (attrs as { numRows: number }).numRows;
  const { batch, width } = sparseShapes('SaeScatterOuter', null, indices, rows);
  const d = rows.shape[1];
  const out = wasm.makeOutput([numRows, d], 'float32');
  const o = wasm.typedArrayFromHeap(out) as Float32Array;
  o.fill(0);
  const ids = wasm.typedArrayFromHeap(indices) as Int32Array;
  const c = wasm.typedArrayFromHeap(coefs) as Float32Array;
  const ops = simdOps(wasm);
  const [outAt, rowsAt] = [address(wasm, out), address(wasm, rows)];
  for (let t = 0; t < batch; t++) {
    const src = t * d;
    for (let s = t * width, end = s + width; s < end; s++) {
      const coef = c[s];
      if (coef === 0) continue;
      const id = ids[s];
      if (id < 0 || id >= numRows) badIndex('SaeScatterOuter', id, numRows);
      ops.axpy(outAt + 4 * id * d, coef, rowsAt + 4 * src, d);
    }
  }
  return out;
}

/** Attributes of SaeAdam; see sae/optimizer.ts. */
export interface SaeAdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1-based step number, for bias correction. */
  step: number;
  /** The gradient is the transpose of the parameter's layout ([cols, rows] for a [rows, cols] parameter). */
  gradTransposed: boolean;
  /** The parameter's rows are unit vectors: project the gradient onto each row's tangent space first, renormalise after. */
  unitRows: boolean;
}

/**
 * One Adam step in a single pass, returning [param, m, v]. The tfjs version is a dozen elementwise
 * ops, each writing a full-size tensor; for a [16384, 768] matrix that costs more than the sparse
 * backward. Options fold in the encoder gradient's transpose and the decoder's row constraint.
 */
function saeAdam({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const wasm = backend as WasmBackendLike;
  const { param, grad, m, v } = inputs as Record<string, tf.TensorInfo>;
  const a = attrs as unknown as SaeAdamAttrs;
  const rows = param.shape.length === 2 ? param.shape[0] : 1;
  const cols = param.shape.length === 2 ? param.shape[1] : param.shape[0];
  const gradShape = a.gradTransposed ? [cols, rows] : param.shape;
  if (grad.shape.join() !== gradShape.join()) throw new Error(`SaeAdam: gradient has shape [${grad.shape}], expected [${gradShape}]`);
  if (a.gradTransposed && a.unitRows) throw new Error('SaeAdam: gradTransposed and unitRows cannot be combined');
  const outP = wasm.makeOutput(param.shape, 'float32');
  const outM = wasm.makeOutput(param.shape, 'float32');
  const outV = wasm.makeOutput(param.shape, 'float32');
  const p0 = wasm.typedArrayFromHeap(param) as Float32Array;
  const g = wasm.typedArrayFromHeap(grad) as Float32Array;
  const m0 = wasm.typedArrayFromHeap(m) as Float32Array;
  const v0 = wasm.typedArrayFromHeap(v) as Float32Array;
  const p1 = wasm.typedArrayFromHeap(outP) as Float32Array;
  const m1 = wasm.typedArrayFromHeap(outM) as Float32Array;
  const v1 = wasm.typedArrayFromHeap(outV) as Float32Array;
  const { lr, beta1, beta2, eps } = a;
  // p ← p − lr · m̂ / (√v̂ + ε), m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t), constants hoisted.
  const stepSize = lr / (1 - beta1 ** a.step);
  const vScale = 1 / (1 - beta2 ** a.step);
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const update = (i: number, gi: number): void => {
    const mi = beta1 * m0[i] + a1 * gi;
    const vi = beta2 * v0[i] + a2 * gi * gi;
    m1[i] = mi;
    v1[i] = vi;
    p1[i] = p0[i] - (stepSize * mi) / (Math.sqrt(vi * vScale) + eps);
  };
  if (a.gradTransposed) {
    // Tiles keep both the row-major parameter and the column-major gradient in cache.
    const tile = 64;
    for (let r0 = 0; r0 < rows; r0 += tile) {
      for (let c0 = 0; c0 < cols; c0 += tile) {
        for (let r = r0; r < Math.min(r0 + tile, rows); r++) {
          for (let c = c0; c < Math.min(c0 + tile, cols); c++) update(r * cols + c, g[c * rows + r]);
        }
      }
    }
  } else if (a.unitRows) {
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let along = 0;
      for (let c = 0; c < cols; c++) along += g[base + c] * p0[base + c];
      let norm2 = 0;
      for (let c = 0; c < cols; c++) {
        update(base + c, g[base + c] - along * p0[base + c]);
        norm2 += p1[base + c] * p1[base + c];
      }
      const scale = 1 / Math.max(Math.sqrt(norm2), 1e-12);
      for (let c = 0; c < cols; c++) p1[base + c] *= scale;
    }
  } else {
    for (let i = 0; i < p0.length; i++) update(i, g[i]);
  }
  return [outP, outM, outV];
}

/** Names of the SAE kernels, shared with sae/sparse-ops.ts and sae/optimizer.ts. */
export const SAE_KERNELS = { gatherCombine: 'SaeGatherCombine', gatherDot: 'SaeGatherDot', scatterOuter: 'SaeScatterOuter', adam: 'SaeAdam' } as const;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const kernels: Array<[string, (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]]> = [
    ['UnsortedSegmentSum', unsortedSegmentSum],
    [SAE_KERNELS.adam, saeAdam],
  ];
  // Without WebAssembly SIMD the sparse kernels stay unregistered and sae/sparse-ops.ts composes them
  // from tfjs ops; likewise model/attention.ts keeps its tfjs-op path.
  if (simdSupported()) {
    kernels.push([SAE_KERNELS.gatherCombine, saeGatherCombine], [SAE_KERNELS.gatherDot, saeGatherDot], [SAE_KERNELS.scatterOuter, saeScatterOuter], ...attentionKernels);
  }
  for (const [kernelName, kernelFunc] of kernels) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
