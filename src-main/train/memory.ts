// The memory a family training run needs, estimated before anything is allocated, and its check
// against what the machine has. Every figure is f32 bytes. Per SAE of n latents on a d-wide hook
// (P = 2·d·n + n + d parameters: W_enc, W_dec, b_enc, b_dec):
//   parameters P; Adam moments 2P; gradients P (the standard SAE keeps two accumulators, 2P, and a
//   transposed decoder, d·n); activation buffers: the dense [tokens, latents] blocks of a step
//   (bounded by MAX_DENSE_ELEMENTS per block), the codes [batch, k (+ AuxK, + 4k for Multi-TopK)] as
//   values and indices, and the [batch, d] inputs, reconstructions, residuals and gradients.
// Shared by every size: the model's weights and the shuffling buffer of activations, and with model
// threads (model/pool.ts) a copy of the weights per worker and the next fill computed ahead. Where the top-k
// step stays on the device (one shard off wasm, sae/sparse/trainer.ts), the step's temporaries of the
// largest size count too: the sizes step one after another, so only the largest's are alive at once.
import { totalmem } from 'node:os';
import { deviceBudget, tf } from '../engine/backend.js';
import type { Gpt2Config } from '../model/config.js';
import { expectedShapes } from '../model/weights.js';
import { MAX_DENSE_ELEMENTS } from '../sae/bounds.js';
import { trainedSizes, type RunArchitecture, type TrainRunConfig } from './config.js';

const F32 = 4;
/** An index and a value per code entry. */
const CODE_ENTRY = 8;
/** [batch, d] blocks a step holds at once: input, reconstruction, residual, its gradient, and a partial reconstruction per code set. */
const BATCH_BLOCKS = 8;
/**
 * The device step's peak above its resident tensors, in d·n matrices: measured with tf.profile on
 * tfjs's cpu backend (the ops tfjs-node runs), ~12 — both gradients, their clipped copies, and Adam's
 * temporaries for one matrix — less the gradient the estimate already counts.
 */
const DEVICE_STEP_MATRICES = 10;
/** The largest heap one WebAssembly tfjs instance can grow to (wasm32, emscripten's getHeapMax). */
export const WASM_HEAP_BYTES = 4_294_901_760;

export interface TrainMemoryRequest {
  /** Width of the hook's activations. */
  dIn: number;
  /** Dictionary sizes, in latents. */
  sizes: number[];
  arch: RunArchitecture;
  k: number;
  /** Tokens per step. */
  batch: number;
  /** AuxK's dead latents per token; the SAE core's default (d_in / 2) when undefined. */
  auxK?: number;
  multiTopK: boolean;
  /** Matryoshka: nested prefixes below each SAE, each one more code set per step. Default 0. */
  nestedPrefixes?: number;
  /** Training batches in the shuffling buffer. */
  bufferBatches: number;
  /** Worker threads per SAE; with more than one, an SAE's latents live in the workers' own instances. */
  shards: number;
  /** The model whose activations are trained on; its weights are resident throughout. */
  model: Gpt2Config;
  /** Worker threads the model runs on, each with its own copy of the weights; default 1 (this thread only). */
  modelThreads?: number;
  /** The top-k step stays on the device (one shard off wasm), so its temporaries count. Default false. */
  stepOnDevice?: boolean;
}

export interface SaeMemory {
  dSae: number;
  parameters: number;
  adam: number;
  gradients: number;
  activations: number;
  total: number;
}

export interface TrainMemoryEstimate {
  perSae: SaeMemory[];
  /** The model's weights and the shuffling buffer, held once for every size. */
  shared: number;
  /** The largest size's step temporaries when the step stays on the device; 0 otherwise. */
  stepTemporaries: number;
  total: number;
  /** What the fullest tensor-engine instance holds: everything with one shard, else the larger of the main thread and one worker. */
  largestInstance: number;
}

/** What a run may use. The budget is a parameter so a device's memory (a GPU's) can stand in for the instance limit. */
export interface MemoryBudget {
  /** The machine's memory. */
  systemBytes: number;
  /** The most one tensor-engine instance can hold, or null when only the system bounds it. */
  instanceBytes: number | null;
  /** What bounds an instance, for the message, e.g. "the wasm heap of one instance". */
  instanceName: string;
}

/** Weights of a GPT-2 as loaded (f32). */
export function gpt2WeightBytes(c: Gpt2Config): number {
  let values = 0;
  for (const shape of expectedShapes(c).values()) values += shape.reduce((a, b) => a * b, 1);
  return F32 * values;
}

function saeMemory(r: TrainMemoryRequest, n: number): SaeMemory {
  const d = r.dIn;
  const p = 2 * d * n + n + d;
  const denseRows = Math.min(r.batch, Math.max(1, Math.floor(MAX_DENSE_ELEMENTS / n)));
  const batchBlocks = BATCH_BLOCKS * r.batch * d * F32;
  let gradients: number;
  let activations: number;
  if (r.arch === 'relu' || r.arch === 'jumprelu' || r.arch === 'gated') {
    gradients = F32 * (2 * p + d * n);
    // pre-activations, codes, their gradient and the firing mask, per row chunk.
    activations = 4 * denseRows * n * F32 + batchBlocks;
  } else {
    gradients = F32 * p;
    const auxK = r.auxK ?? Math.floor(d / 2);
    const codeWidth = r.k * (1 + (r.nestedPrefixes ?? 0)) + auxK + (r.multiTopK ? 4 * r.k : 0);
    // pre-activations, and the same shifted for AuxK's dead latents.
    activations = 2 * denseRows * n * F32 + r.batch * codeWidth * CODE_ENTRY + batchBlocks;
  }
  const parameters = F32 * p;
  const adam = 2 * parameters;
  return { dSae: n, parameters, adam, gradients, activations, total: parameters + adam + gradients + activations };
}

export function estimateTrainMemory(r: TrainMemoryRequest): TrainMemoryEstimate {
  const perSae = r.sizes.map((n) => saeMemory(r, n));
  const buffer = r.bufferBatches * r.batch * r.dIn * F32;
  const threads = r.modelThreads ?? 1;
  const pool = threads > 1 ? threads * gpt2WeightBytes(r.model) + buffer : 0;
  const shared = gpt2WeightBytes(r.model) + buffer + pool;
  const saes = perSae.reduce((sum, s) => sum + s.total, 0);
  const stepTemporaries = r.stepOnDevice ? DEVICE_STEP_MATRICES * F32 * r.dIn * Math.max(...r.sizes) : 0;
  const total = shared + saes + stepTemporaries;
  // With worker shards each worker holds 1/shards of every SAE's latents; the main thread keeps the
  // model, the buffer and the [batch, d] blocks.
  // The model threads' copies live in their own instances, each smaller than this thread's.
  const mainThread = shared - pool + perSae.length * BATCH_BLOCKS * r.batch * r.dIn * F32;
  const largestInstance = r.shards > 1 ? Math.max(mainThread, Math.ceil(saes / r.shards)) : total - pool;
  return { perSae, shared, stepTemporaries, total, largestInstance };
}

/**
 * The budget of this machine for a backend: system memory, and on wasm the heap of one instance, on
 * the GPU the device's free memory (the engine's deviceBudget; the model's weights, when already
 * loaded, count both there and in the estimate, which errs on the safe side).
 */
export function machineBudget(backend: string): MemoryBudget {
  const gpu = deviceBudget();
  if (gpu) return { systemBytes: totalmem(), instanceBytes: gpu.bytes, instanceName: gpu.name };
  return backend === 'wasm'
    ? { systemBytes: totalmem(), instanceBytes: WASM_HEAP_BYTES, instanceName: 'the wasm heap of one instance' }
    : { systemBytes: totalmem(), instanceBytes: null, instanceName: `one ${backend} instance` };
}

export function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/**
 * Throws when the run cannot fit, with what it needs (and per size) and what the machine has;
 * otherwise returns the estimate.
 */
export function checkTrainMemory(request: TrainMemoryRequest, budget: MemoryBudget): TrainMemoryEstimate {
  const estimate = estimateTrainMemory(request);
  const temporaries = estimate.stepTemporaries > 0 ? `, step temporaries on the device ${gib(estimate.stepTemporaries)}` : '';
  const breakdown = `${estimate.perSae.map((s) => `${s.dSae} latents ${gib(s.total)}`).join(', ')}, model and buffer ${gib(estimate.shared)}${temporaries}`;
  if (estimate.total > budget.systemBytes) {
    throw new Error(`training needs about ${gib(estimate.total)} (${breakdown}), but this machine has ${gib(budget.systemBytes)}; train fewer or smaller sizes, or a smaller batch`);
  }
  if (budget.instanceBytes !== null && estimate.largestInstance > budget.instanceBytes) {
    const shards = request.shards > 1 ? '' : ', or split each SAE over worker threads (shards)';
    throw new Error(`training needs about ${gib(estimate.largestInstance)} in one tensor instance (${breakdown}), but ${budget.instanceName} holds at most ${gib(budget.instanceBytes)}; train fewer or smaller sizes, or a smaller batch${shards}`);
  }
  return estimate;
}

/**
 * checkTrainMemory for a run's config, on a model whose hook is `dIn` wide, for the family's `sizes`,
 * with the step on `backend` (tfjs's name: the top-k step stays on the device off wasm).
 */
export function checkRunMemory(config: TrainRunConfig, model: Gpt2Config, dIn: number, sizes: number[], budget: MemoryBudget, backend = tf.getBackend()): TrainMemoryEstimate {
  const { arch, k, batch, auxK, multiTopK, bufferBatches, shards, modelThreads } = config;
  const trained = trainedSizes(config, sizes);
  const nestedPrefixes = sizes.length - trained.length;
  const stepOnDevice = arch === 'topk' && shards === 1 && backend !== 'wasm';
  return checkTrainMemory({ dIn, sizes: trained, arch, k, batch, auxK, multiTopK, nestedPrefixes, bufferBatches, shards, model, modelThreads, stepOnDevice }, budget);
}
