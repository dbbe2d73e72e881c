// ONNX Runtime for GPT-2's forward pass on the CPU. tfjs's wasm backend runs one thread per instance
// at 15–23 GFLOP/s for a plain matMul; ONNX Runtime's CPU kernels (MLAS: AVX2/AVX-512 FMA) ran a
// [512, 768]·[768, 3,072] product at ~120 GFLOP/s on one core here and use every core. So on the
// wasm and cpu backends, the inference-only forward passes (activations for training, harvesting,
// comparing) run there (model/onnx-gpt2.ts); SAEs, their gradients and everything a hook edits stay
// on tfjs. With TensorFlow (tfjs-node, tfjs-node-gpu) the forward stays on TensorFlow: on the GPU it
// is already fast, and the activations are where the SAE step needs them.
//
// SAE_GPT2_RUNTIME chooses: `auto` (the default; as above), `onnx` (an error when ONNX Runtime cannot
// load) or `tfjs` (never ONNX Runtime).
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import type { Gpt2ForwardReport } from '../../src-shared/api/engine.js';
import { engineInfo } from './backend.js';

export type OnnxRuntime = typeof Ort;
export type Gpt2Runtime = 'auto' | 'onnx' | 'tfjs';

const RUNTIMES: readonly Gpt2Runtime[] = ['auto', 'onnx', 'tfjs'];
const require = createRequire(import.meta.url);
let loaded: { runtime: OnnxRuntime } | { error: string } | undefined;

export function parseGpt2Runtime(value: string | undefined): Gpt2Runtime {
  if (value === undefined || value === '') return 'auto';
  if (!RUNTIMES.includes(value as Gpt2Runtime)) throw new Error(`SAE_GPT2_RUNTIME="${value}": expected ${RUNTIMES.join(', ')}`);
  return value as Gpt2Runtime;
}

/** onnxruntime-node, loaded once; the reason it cannot load otherwise (a platform without its binary). */
export function loadOnnxRuntime(): { runtime: OnnxRuntime } | { error: string } {
  if (!loaded) {
    try {
      loaded = { runtime: require('onnxruntime-node') as OnnxRuntime };
    } catch (err) {
      loaded = { error: `onnxruntime-node could not load: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  return loaded;
}

/**
 * ONNX Runtime when GPT-2's inference forward should run on it (see the top of this file), else
 * undefined. The tensor engine must be started.
 */
export function gpt2OnnxRuntime(choice: Gpt2Runtime = parseGpt2Runtime(process.env.SAE_GPT2_RUNTIME)): OnnxRuntime | undefined {
  if (choice === 'tfjs') return undefined;
  if (choice === 'auto' && engineInfo().backend === 'tensorflow') return undefined;
  const ort = loadOnnxRuntime();
  if ('runtime' in ort) return ort.runtime;
  if (choice === 'onnx') throw new Error(`SAE_GPT2_RUNTIME=onnx, but ${ort.error}; reinstall the project's dependencies or use SAE_GPT2_RUNTIME=tfjs`);
  return undefined;
}

/** Threads ONNX Runtime computes with: SAE_GPT2_THREADS, else one per core. */
export function onnxThreads(): number {
  const raw = process.env.SAE_GPT2_THREADS;
  if (raw === undefined || raw === '') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`SAE_GPT2_THREADS="${raw}": expected a positive integer (threads for GPT-2's forward on ONNX Runtime)`);
  return n;
}

/** Where GPT-2's inference forward runs and why, for `doctor`; never throws. */
export function gpt2ForwardReport(): Gpt2ForwardReport {
  let choice: Gpt2Runtime;
  try {
    choice = parseGpt2Runtime(process.env.SAE_GPT2_RUNTIME);
  } catch (err) {
    return { runtime: null, version: null, threads: null, reason: (err as Error).message };
  }
  const ort = loadOnnxRuntime();
  const version = 'runtime' in ort ? ort.runtime.env.versions.common : null;
  if (choice === 'tfjs') return { runtime: 'tfjs', version, threads: null, reason: 'SAE_GPT2_RUNTIME=tfjs' };
  if (choice === 'auto' && engineInfo().backend === 'tensorflow') return { runtime: 'tfjs', version, threads: null, reason: 'TensorFlow runs the whole model (auto keeps ONNX Runtime for the wasm and cpu backends)' };
  if (!('runtime' in ort)) return { runtime: choice === 'onnx' ? null : 'tfjs', version: null, threads: null, reason: ort.error };
  try {
    return { runtime: 'onnx', version, threads: onnxThreads(), reason: choice === 'onnx' ? 'SAE_GPT2_RUNTIME=onnx' : 'auto: the tfjs backend has no TensorFlow' };
  } catch (err) {
    return { runtime: null, version, threads: null, reason: (err as Error).message };
  }
}

/** Session options for this app's graphs: ONNX Runtime's own threads (onnxThreads), one graph at a time. */
export function onnxSessionOptions(): Ort.InferenceSession.SessionOptions {
  return { intraOpNumThreads: onnxThreads(), interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' };
}
