// Finds the CUDA 11.2 / cuDNN 8.1 shared libraries tfjs-node-gpu links against, so a missing
// library is reported with its name instead of TensorFlow silently running on the CPU.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const CUDA_LIBRARIES = ['libcudart.so.11.0', 'libcublas.so.11', 'libcudnn.so.8'] as const;

function librarySearchPath(): string[] {
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  dirs.push('/usr/local/cuda/lib64', '/usr/local/cuda-11.2/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib');
  return dirs;
}

function ldconfigLibraries(): string {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

/** Where each CUDA library was found, or null. */
export function findCudaLibraries(): Record<string, string | null> {
  const cache = ldconfigLibraries();
  const found: Record<string, string | null> = {};
  for (const lib of CUDA_LIBRARIES) {
    const dir = librarySearchPath().find((d) => existsSync(path.join(d, lib)));
    found[lib] = dir ? path.join(dir, lib) : cache.includes(lib) ? lib : null;
  }
  return found;
}

/** NVIDIA GPUs as nvidia-smi reports them; empty when there is no driver or no GPU. */
export function listGpus(): string[] {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
    return out.split('\n').map((l) => l.trim()).filter(Boolean);
  } catch {
    return [];
  }
}

/** Human-readable reasons tfjs-node-gpu cannot use a GPU here; empty when all is in place. */
export function cudaProblems(): string[] {
  const problems: string[] = [];
  if (process.platform !== 'linux' && process.platform !== 'win32') problems.push(`tfjs-node-gpu has no CUDA build for ${process.platform}`);
  if (listGpus().length === 0) problems.push('no NVIDIA GPU found (nvidia-smi is missing or lists none; install the NVIDIA driver)');
  if (process.platform === 'linux') {
    for (const [lib, where] of Object.entries(findCudaLibraries())) {
      if (!where) problems.push(`${lib} not found (install CUDA 11.2 and cuDNN 8.1 and add their lib64 folders to LD_LIBRARY_PATH)`);
    }
  }
  return problems;
}
