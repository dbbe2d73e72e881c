// What the hand-written wasm kernels (kernels.ts, causal-attention.ts) need of tfjs's wasm backend:
// tensors' bytes in its memory, new outputs there, and the SIMD loops (simd.ts) bound to that memory.
import type * as tf from '@tensorflow/tfjs';
import { createSimdOps, type SimdOps } from './simd.js';

export interface WasmBackendLike {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): boolean;
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  wasm: { asm: { memory: WebAssembly.Memory } };
}

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

let simd: { memory: WebAssembly.Memory; ops: SimdOps } | undefined;

/** The SIMD loops on this backend's memory, built once (kernels using them are registered only where SIMD exists). */
export function simdOps(backend: WasmBackendLike): SimdOps {
  const memory = backend.wasm.asm.memory;
  if (simd?.memory !== memory) simd = { memory, ops: createSimdOps(memory) };
  return simd.ops;
}

/** Byte address of a tensor's data in the wasm memory (stable when the memory grows). */
export function address(backend: WasmBackendLike, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset;
}
