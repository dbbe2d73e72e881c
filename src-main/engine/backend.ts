// Picks the tfjs backend at start-up: CUDA through tfjs-node-gpu, TensorFlow CPU through tfjs-node,
// then WebAssembly, then plain JavaScript. Everything else imports `tf` from here and never cares
// which backend runs.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';

export { tf };

/** What the user may ask for (`--backend`, env SAE_BACKEND). `auto` takes the best one installed. */
export type BackendChoice = 'auto' | 'gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'gpu', 'tensorflow', 'wasm', 'cpu'];

export interface EngineInfo {
  /** The choice that was honoured. */
  choice: Exclude<BackendChoice, 'auto'>;
  /** tfjs's own backend name: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  /** The npm package that supplied the backend. */
  package: string;
}

const require = createRequire(import.meta.url);
let current: EngineInfo | undefined;

export function isInstalled(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

export function parseBackendChoice(value: string | undefined): BackendChoice {
  const choice = (value ?? 'auto').trim().toLowerCase();
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new Error(`unknown backend "${value}": expected one of ${BACKEND_CHOICES.join(', ')}`);
  }
  return choice as BackendChoice;
}

async function loadTensorflow(pkg: string): Promise<void> {
  try {
    await import(pkg);
  } catch (err) {
    throw new Error(`${pkg} is installed but failed to load: ${(err as Error).message}`);
  }
}

async function activate(choice: Exclude<BackendChoice, 'auto'>): Promise<EngineInfo> {
  switch (choice) {
    case 'gpu': {
      const pkg = '@tensorflow/tfjs-node-gpu';
      if (!isInstalled(pkg)) {
        throw new Error(`backend "gpu" needs ${pkg}, which is not installed (npm install ${pkg}; it needs CUDA 11.2 and cuDNN 8.1)`);
      }
      const { cudaProblems } = await import('./cuda.js');
      const problems = cudaProblems();
      if (problems.length > 0) {
        throw new Error(`backend "gpu" cannot run: ${problems.join('; ')}. Fix that, or pick another backend with --backend wasm|cpu`);
      }
      await loadTensorflow(pkg);
      await tf.setBackend('tensorflow');
      return { choice, backend: 'tensorflow', package: pkg };
    }
    case 'tensorflow': {
      const pkg = '@tensorflow/tfjs-node';
      if (!isInstalled(pkg)) throw new Error(`backend "tensorflow" needs ${pkg}, which is not installed (npm install ${pkg})`);
      await loadTensorflow(pkg);
      await tf.setBackend('tensorflow');
      return { choice, backend: 'tensorflow', package: pkg };
    }
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
      const { registerWasmKernels } = await import('./kernels.js');
      registerWasmKernels();
      return { choice, backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm' };
    }
    case 'cpu': {
      await tf.setBackend('cpu');
      return { choice, backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu' };
    }
  }
}

/**
 * Starts the tensor engine once per process. `auto` prefers tfjs-node-gpu, then tfjs-node, then wasm;
 * an installed GPU package that cannot run is an error with the fix, never a silent fallback.
 */
export async function initEngine(requested?: string): Promise<EngineInfo> {
  const choice = parseBackendChoice(requested ?? process.env.SAE_BACKEND);
  if (current && (choice === 'auto' || choice === current.choice)) return current;
  let resolved: Exclude<BackendChoice, 'auto'>;
  if (choice !== 'auto') resolved = choice;
  else if (isInstalled('@tensorflow/tfjs-node-gpu')) resolved = 'gpu';
  else if (isInstalled('@tensorflow/tfjs-node')) resolved = 'tensorflow';
  else resolved = 'wasm';
  current = await activate(resolved);
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
