// Picks the tfjs backend at start-up: CUDA through tfjs-node-gpu, TensorFlow on the CPU through
// tfjs-node, then WebAssembly, then plain JavaScript. `auto` takes the best one that works and says
// in one line why it passed over a better one; an explicit choice that cannot run is an error with
// the fix. Everything else imports `tf` from here and never cares which backend runs.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import type { BackendChoice, BackendName, DeviceMemory, GpuDevice, SkippedBackend, TensorflowBinding } from '../../src-shared/api/engine.js';
import { cudaProblems, findCudaLibraries, hasCudaBuild } from './cuda.js';
import { computeGpu, listGpus, processDeviceBytes, queryDeviceMemory } from './nvidia.js';

export { tf };
export type { BackendChoice, BackendName };
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'gpu', 'tensorflow', 'wasm', 'cpu'];

const GPU_BINDING = '@tensorflow/tfjs-node-gpu';
const CPU_BINDING = '@tensorflow/tfjs-node';

export interface EngineInfo {
  requested: BackendChoice;
  /** The backend that runs. */
  choice: BackendName;
  /** tfjs's own backend name: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  /** The npm package that supplied the backend. */
  package: string;
  /** The TensorFlow binding this process loaded; null on wasm and cpu. */
  binding: TensorflowBinding | null;
  /** The GPU TensorFlow computes on; null off the GPU. */
  device: GpuDevice | null;
  /** Better backends `auto` passed over, best first. */
  skipped: SkippedBackend[];
  /** The one line `auto` printed on stderr when it fell back; null when it did not. */
  notice: string | null;
}

type Activated = Pick<EngineInfo, 'choice' | 'backend' | 'package' | 'binding' | 'device'>;

/** A backend that cannot run here, with the reason and the fix: `auto` moves on, an explicit choice fails. */
class BackendUnavailable extends Error {
  constructor(readonly skipped: SkippedBackend) {
    const others = BACKEND_CHOICES.filter((c) => c !== 'auto' && c !== skipped.backend).join('|');
    super(`backend "${skipped.backend}" cannot run: ${skipped.reason}${skipped.fix ? `. Fix: ${skipped.fix}` : ''}; or pick another backend with --backend ${others}`);
  }
}

const require = createRequire(import.meta.url);
let current: EngineInfo | undefined;
/** Both bindings register tfjs's "tensorflow" backend over their own libtensorflow: one per process. */
let loadedBinding: TensorflowBinding | null = null;
/** Device bytes this process held right after TensorFlow started (CUDA context, library handles). */
let startupDeviceBytes: number | null = null;

export function isInstalled(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** The folder of an installed package; null when it is not installed. */
export function packageDir(pkg: string): string | null {
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return null;
  }
}

export function parseBackendChoice(value: string | undefined): BackendChoice {
  const choice = (value ?? 'auto').trim().toLowerCase();
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new Error(`unknown backend "${value}": expected one of ${BACKEND_CHOICES.join(', ')}`);
  }
  return choice as BackendChoice;
}

/** The TensorFlow binding this process loaded, if any. */
export function loadedTensorflowBinding(): TensorflowBinding | null {
  return loadedBinding;
}

function loadBinding(pkg: TensorflowBinding, backend: SkippedBackend['backend']): void {
  if (loadedBinding === pkg) return;
  if (loadedBinding) throw new Error(`${pkg} cannot load: this process already loaded ${loadedBinding}, and both register tfjs's "tensorflow" backend`);
  try {
    require(pkg);
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    throw new BackendUnavailable({ backend, reason: `${pkg} is installed but failed to load (${message})`, fix: `reinstall it: npm rebuild ${pkg}` });
  }
  loadedBinding = pkg;
}

function usingGpuDevice(): boolean {
  return (tf.backend() as { isUsingGpuDevice?: unknown }).isUsingGpuDevice === true;
}

async function activateGpu(): Promise<Activated> {
  if (!hasCudaBuild(process.platform)) throw new BackendUnavailable({ backend: 'gpu', reason: `${GPU_BINDING} has no CUDA build for ${process.platform}`, fix: null });
  const { gpu, problem } = computeGpu(listGpus());
  if (!gpu) {
    const fix = process.env.CUDA_VISIBLE_DEVICES === undefined ? null : 'unset CUDA_VISIBLE_DEVICES, or set it to a GPU nvidia-smi lists';
    throw new BackendUnavailable({ backend: 'gpu', reason: problem!, fix });
  }
  if (loadedBinding !== GPU_BINDING && !isInstalled(GPU_BINDING)) {
    throw new BackendUnavailable({ backend: 'gpu', reason: `${GPU_BINDING} is not installed`, fix: `npm install ${GPU_BINDING}` });
  }
  // Once loaded, its TensorFlow library evidently opened.
  const bindingDir = loadedBinding === GPU_BINDING ? null : packageDir(GPU_BINDING);
  const problems = cudaProblems(findCudaLibraries(), process.env, process.platform, { gpu, bindingDir });
  if (problems.length > 0) {
    throw new BackendUnavailable({ backend: 'gpu', reason: problems.map((p) => p.reason).join('; '), fix: problems.find((p) => p.fix)?.fix ?? null });
  }
  // CUDA reads these when TensorFlow initialises it: device indices in nvidia-smi's order (so the
  // device reported is the one used), and memory taken as needed rather than all of it at once (so
  // free memory can be measured and other programs keep theirs).
  process.env.CUDA_DEVICE_ORDER ??= 'PCI_BUS_ID';
  process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
  loadBinding(GPU_BINDING, 'gpu');
  await tf.setBackend('tensorflow');
  if (!usingGpuDevice()) {
    throw new BackendUnavailable({
      backend: 'gpu',
      reason: `${GPU_BINDING} loaded but TensorFlow registered no GPU device (it skips the GPU when a CUDA library fails to open or the GPU is too old for its kernels)`,
      fix: "run `TF_CPP_MIN_LOG_LEVEL=0 sae-explorer doctor` to see TensorFlow's own reason",
    });
  }
  startupDeviceBytes = processDeviceBytes(gpu, process.pid);
  return { choice: 'gpu', backend: 'tensorflow', package: GPU_BINDING, binding: GPU_BINDING, device: gpu };
}

async function activateTensorflow(): Promise<Activated> {
  // After a GPU attempt loaded tfjs-node-gpu, it is this process's TensorFlow, on the CPU.
  const pkg = loadedBinding ?? (isInstalled(CPU_BINDING) ? CPU_BINDING : isInstalled(GPU_BINDING) ? GPU_BINDING : null);
  if (!pkg) throw new BackendUnavailable({ backend: 'tensorflow', reason: `${CPU_BINDING} is not installed`, fix: `npm install ${CPU_BINDING}` });
  // tfjs-node-gpu without its CUDA libraries warns once per library; the notice already says why.
  if (pkg === GPU_BINDING) process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  loadBinding(pkg, 'tensorflow');
  await tf.setBackend('tensorflow');
  // tfjs-node-gpu takes the GPU whenever it can; say so, so its memory is what jobs are checked against.
  const device = usingGpuDevice() ? computeGpu(listGpus()).gpu : null;
  return { choice: 'tensorflow', backend: 'tensorflow', package: pkg, binding: pkg, device };
}

async function activate(choice: BackendName): Promise<Activated> {
  switch (choice) {
    case 'gpu':
      return activateGpu();
    case 'tensorflow':
      return activateTensorflow();
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
      const { registerWasmKernels } = await import('./kernels.js');
      registerWasmKernels();
      return { choice, backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm', binding: null, device: null };
    }
    case 'cpu': {
      await tf.setBackend('cpu');
      return { choice, backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu', binding: null, device: null };
    }
  }
}

/** "sae-explorer: backend auto chose tensorflow (@tensorflow/tfjs-node), not gpu: missing libcudnn.so.8 (cuDNN 8); fix: …" */
function fallbackNotice(chosen: Activated, skipped: SkippedBackend[]): string {
  const fix = skipped.find((s) => s.fix)?.fix;
  return `sae-explorer: backend auto chose ${chosen.choice} (${chosen.package}), not ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; not ')}${fix ? `; fix: ${fix}` : ''}`;
}

export interface InitEngineOptions {
  /** Receives the fallback notice; default: one line on stderr. */
  onNotice?: (line: string) => void;
}

/**
 * Starts the tensor engine once per process. `auto` takes gpu (where there is a CUDA build), else
 * tensorflow, else wasm — the first that works — and reports each better backend it passed over; an
 * explicit choice that cannot run throws.
 */
export async function initEngine(requested?: string, options: InitEngineOptions = {}): Promise<EngineInfo> {
  const choice = parseBackendChoice(requested ?? process.env.SAE_BACKEND);
  if (current && (choice === 'auto' || choice === current.choice)) return current;
  if (choice !== 'auto') {
    current = { ...(await activate(choice)), requested: choice, skipped: [], notice: null };
    return current;
  }
  const skipped: SkippedBackend[] = [];
  let chosen: Activated | null = null;
  // Where tfjs-node-gpu has no CUDA build (macOS) the GPU is no candidate, so not a fallback to report.
  const candidates = hasCudaBuild(process.platform) ? (['gpu', 'tensorflow'] as const) : (['tensorflow'] as const);
  for (const candidate of candidates) {
    try {
      chosen = await activate(candidate);
      break;
    } catch (err) {
      if (!(err instanceof BackendUnavailable)) throw err;
      skipped.push(err.skipped);
    }
  }
  chosen ??= await activate('wasm');
  const notice = skipped.length > 0 ? fallbackNotice(chosen, skipped) : null;
  if (notice) (options.onNotice ?? ((line) => process.stderr.write(`${line}\n`)))(notice);
  current = { ...chosen, requested: choice, skipped, notice };
  return current;
}

/**
 * Threads the active backend computes with. wasm in Node runs on one thread (tfjs starts no worker
 * pool outside browsers); tfjs-node uses TensorFlow's intra-op pool, one thread per core unless
 * TF_NUM_INTRAOP_THREADS says otherwise; the cpu backend is plain single-threaded JavaScript.
 */
export async function backendThreads(): Promise<number> {
  switch (engineInfo().backend) {
    case 'wasm': {
      const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
      return getThreadsCount();
    }
    case 'tensorflow': {
      const configured = Number(process.env.TF_NUM_INTRAOP_THREADS);
      return Number.isInteger(configured) && configured > 0 ? configured : availableParallelism();
    }
    default:
      return 1;
  }
}

export function engineInfo(): EngineInfo {
  if (!current) throw new Error('the tensor engine is not started: call initEngine() first');
  return current;
}

/**
 * What a job may still allocate on the GPU the engine computes on: the device's free memory plus
 * what TensorFlow's pool holds in this process beyond its start-up footprint and the live tensors
 * (the pool keeps freed blocks for reuse instead of returning them to the driver). Null off the GPU,
 * or when nvidia-smi cannot say.
 */
export function deviceMemory(): DeviceMemory | null {
  const device = current?.device;
  if (!device) return null;
  const now = queryDeviceMemory(device);
  if (!now) return null;
  const held = processDeviceBytes(device, process.pid);
  const reusable = held === null || startupDeviceBytes === null ? 0 : Math.max(0, held - startupDeviceBytes - tf.memory().numBytes);
  return { totalBytes: now.totalBytes, freeBytes: now.freeBytes + reusable };
}

function formatBytes(bytes: number): string {
  const [unit, size] = bytes >= 2 ** 30 ? ['GiB', 2 ** 30] : bytes >= 2 ** 20 ? ['MiB', 2 ** 20] : ['KiB', 2 ** 10];
  return `${(bytes / size).toFixed(1)} ${unit}`;
}

/**
 * The GPU as a memory budget, for checks that take one (the training-memory check): what may still be
 * allocated and a name for messages. Null off the GPU or when the driver cannot say.
 */
export function deviceBudget(): { bytes: number; name: string } | null {
  const device = current?.device;
  const memory = deviceMemory();
  if (!device || !memory) return null;
  return { bytes: memory.freeBytes, name: `the free memory of ${device.name} (${formatBytes(memory.totalBytes)} in all)` };
}

/**
 * Refuses, before anything is allocated, work that needs more of the GPU than it has free, naming
 * both figures; does nothing off the GPU or when the driver cannot say. `what` names the work and
 * the size, e.g. "harvest of 3 SAEs with gpt2".
 */
export function checkDeviceMemory(neededBytes: number, what: string): void {
  const budget = deviceBudget();
  if (!budget || neededBytes <= budget.bytes) return;
  throw new Error(`${what} needs at least ${formatBytes(neededBytes)} on the GPU, but ${budget.name} is ${formatBytes(budget.bytes)}; free some (other programs, a smaller size) or use --backend tensorflow`);
}
