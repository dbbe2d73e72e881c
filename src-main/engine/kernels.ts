// Kernels the wasm backend lacks, registered as plain loops over the wasm heap. Without
// UnsortedSegmentSum the gradient of `gather` (embedding lookups, sparse decoders) fails on wasm.
// The Sae* kernels are the sparse products of a top-k SAE step (sae/sparse-ops.ts): each touches
// only the k selected rows per token, B·k·d work instead of the dense B·n·d, and fuses the gather,
// the product and the reduction so no [B·k, d] intermediate is ever allocated.
import * as tf from '@tensorflow/tfjs';

interface WasmBackendLike {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

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
  const w = wasm.typedArrayFromHeap(table) as Float32Array;
  const ids = wasm.typedArrayFromHeap(indices) as Int32Array;
  const c = wasm.typedArrayFromHeap(coefs) as Float32Array;
  for (let t = 0; t < batch; t++) {
    const dst = t * d;
    for (let s = t * width, end = s + width; s < end; s++) {
      const coef = c[s];
      if (coef === 0) continue;
      const id = ids[s];
      if (id < 0 || id >= tableRows) badIndex('SaeGatherCombine', id, tableRows);
      const src = id * d;
      for (let i = 0; i < d; i++) o[dst + i] += coef * w[src + i];
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
  const w = wasm.typedArrayFromHeap(table) as Float32Array;
  const ids = wasm.typedArrayFromHeap(indices) as Int32Array;
  const r = wasm.typedArrayFromHeap(rows) as Float32Array;
  for (let t = 0; t < batch; t++) {
    const row = t * d;
    for (let s = t * width, end = s + width; s < end; s++) {
      const id = ids[s];
      if (id < 0 || id >= tableRows) badIndex('SaeGatherDot', id, tableRows);
      const src = id * d;
      let acc = 0;
      for (let i = 0; i < d; i++) acc += w[src + i] * r[row + i];
      o[s] = acc;
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
  const r = wasm.typedArrayFromHeap(rows) as Float32Array;
  for (let t = 0; t < batch; t++) {
    const src = t * d;
    for (let s = t * width, end = s + width; s < end; s++) {
      const coef = c[s];
      if (coef === 0) continue;
      const id = ids[s];
      if (id < 0 || id >= numRows) badIndex('SaeScatterOuter', id, numRows);
      const dst = id * d;
      for (let i = 0; i < d; i++) o[dst + i] += coef * r[src + i];
    }
  }
  return out;
}

/** Names of the sparse SAE kernels, shared with sae/sparse-ops.ts. */
export const SAE_KERNELS = { gatherCombine: 'SaeGatherCombine', gatherDot: 'SaeGatherDot', scatterOuter: 'SaeScatterOuter' } as const;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const kernels: Array<[string, (args: KernelArgs) => tf.TensorInfo]> = [
    ['UnsortedSegmentSum', unsortedSegmentSum],
    [SAE_KERNELS.gatherCombine, saeGatherCombine],
    [SAE_KERNELS.gatherDot, saeGatherDot],
    [SAE_KERNELS.scatterOuter, saeScatterOuter],
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
