// `sae-explorer doctor`: everything needed to tell why training is slow or the GPU is unused —
// which backend started (or why it could not), devices, CUDA libraries, CPU, memory, versions and
// where Hugging Face files are cached. Never prints secrets: HF_TOKEN is reported as set or not.
import { cpus, availableParallelism, freemem, totalmem, release } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { createRequire } from 'node:module';
import { backendThreads, initEngine, isInstalled, tf } from './backend.js';
import { cudaProblems, findCudaLibraries, listGpus } from './cuda.js';
import { hubCacheDir } from '../hub/cache.js';
import { hubEndpoint, isOffline } from '../hub/http.js';

const require = createRequire(import.meta.url);

/** The tfjs packages whose presence decides the backend, in order of preference. */
export const BACKEND_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs'] as const;

export interface Diagnostics {
  engine: {
    /** tfjs's backend name ('tensorflow', 'wasm', 'cpu'), or null when start-up failed. */
    backend: string | null;
    /** The npm package that supplied it. */
    package: string | null;
    /** Why the requested backend could not start. */
    error: string | null;
    threads: number | null;
    /** wasm only: whether the SIMD build runs (about 3x faster matmul). */
    wasmSimd: boolean | null;
    tfjsVersion: string;
  };
  /** Installed version of each backend package, null when absent. */
  packages: Record<string, string | null>;
  /** nvidia-smi lines: name, memory, driver. */
  gpus: string[];
  cuda: { libraries: Record<string, string | null>; problems: string[] };
  cpu: { model: string; cores: number; parallelism: number };
  memory: { totalBytes: number; freeBytes: number; rssBytes: number; heapUsedBytes: number; heapLimitBytes: number; tensors: number; tensorBytes: number };
  runtime: { node: string; electron: string | null; platform: string; arch: string; osRelease: string };
  hub: { cacheDir: string; endpoint: string; offline: boolean; tokenSet: boolean };
}

function packageVersion(pkg: string): string | null {
  if (!isInstalled(pkg)) return null;
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'installed (version unknown)';
  }
}

async function engineDiagnostics(): Promise<Diagnostics['engine']> {
  const tfjsVersion = tf.version.tfjs;
  try {
    const info = await initEngine();
    const wasmSimd = info.backend === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : null;
    return { backend: info.backend, package: info.package, error: null, threads: await backendThreads(), wasmSimd, tfjsVersion };
  } catch (err) {
    return { backend: null, package: null, error: (err as Error).message, threads: null, wasmSimd: null, tfjsVersion };
  }
}

export async function collectDiagnostics(): Promise<Diagnostics> {
  const engine = await engineDiagnostics();
  const processMemory = process.memoryUsage();
  const tensorMemory = tf.memory();
  const cpuList = cpus();
  return {
    engine,
    packages: Object.fromEntries(BACKEND_PACKAGES.map((p) => [p, packageVersion(p)])),
    gpus: listGpus(),
    cuda: { libraries: findCudaLibraries(), problems: cudaProblems() },
    cpu: { model: cpuList[0]?.model.trim() ?? 'unknown', cores: cpuList.length, parallelism: availableParallelism() },
    memory: {
      totalBytes: totalmem(),
      freeBytes: freemem(),
      rssBytes: processMemory.rss,
      heapUsedBytes: processMemory.heapUsed,
      heapLimitBytes: getHeapStatistics().heap_size_limit,
      tensors: tensorMemory.numTensors,
      tensorBytes: tensorMemory.numBytes,
    },
    runtime: { node: process.versions.node, electron: process.versions.electron ?? null, platform: process.platform, arch: process.arch, osRelease: release() },
    hub: { cacheDir: hubCacheDir(), endpoint: hubEndpoint(), offline: isOffline(), tokenSet: Boolean(process.env.HF_TOKEN || process.env.HUGGING_FACE_HUB_TOKEN) },
  };
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** What the user should do about the GPU, given what is installed and found. */
function gpuAdvice(d: Diagnostics): string {
  const gpuPackage = d.packages['@tensorflow/tfjs-node-gpu'] !== null;
  if (d.engine.package === '@tensorflow/tfjs-node-gpu') return 'in use';
  if (d.gpus.length === 0) return 'no NVIDIA GPU found; computing on the CPU';
  if (!gpuPackage) return 'GPU found but @tensorflow/tfjs-node-gpu is not installed (npm install @tensorflow/tfjs-node-gpu; needs CUDA 11.2 + cuDNN 8.1)';
  return d.cuda.problems.length > 0 ? `cannot use the GPU: ${d.cuda.problems.join('; ')}` : 'GPU ready; start with --backend gpu';
}

function row(label: string, value: string | number): string {
  return `  ${label.padEnd(30)} ${value}`;
}

/** The human-readable report, one fact per line. */
export function formatDiagnostics(d: Diagnostics): string {
  const e = d.engine;
  const missingCuda = Object.values(d.cuda.libraries).includes(null) && d.runtime.platform === 'linux';
  const lines = [
    'engine',
    row('backend', e.backend ? `${e.backend} (${e.package})` : `failed: ${e.error}`),
    row('tfjs', e.tfjsVersion),
    row('threads', `${e.threads ?? 'n/a'}${e.wasmSimd === null ? '' : `, wasm SIMD ${e.wasmSimd ? 'on' : 'off'}`}`),
    'packages',
    ...Object.entries(d.packages).map(([p, v]) => row(p, v ?? 'not installed')),
    'devices',
    ...(d.gpus.length > 0 ? d.gpus.map((g) => row('gpu', g)) : [row('gpu', 'none (nvidia-smi found no NVIDIA GPU)')]),
    row('gpu status', gpuAdvice(d)),
    ...Object.entries(d.cuda.libraries).map(([lib, where]) => row(lib, where ?? 'missing')),
    ...(missingCuda ? [row('cuda', 'for --backend gpu install CUDA 11.2 and cuDNN 8.1 and add their lib64 folders to LD_LIBRARY_PATH')] : []),
    row('cpu', `${d.cpu.model}, ${d.cpu.cores} cores (${d.cpu.parallelism} usable)`),
    'memory',
    row('system', `${gib(d.memory.freeBytes)} free of ${gib(d.memory.totalBytes)}`),
    row('node heap', `${gib(d.memory.heapUsedBytes)} used, limit ${gib(d.memory.heapLimitBytes)} (rss ${gib(d.memory.rssBytes)})`),
    row('tensors', `${d.memory.tensors} (${gib(d.memory.tensorBytes)})`),
    'runtime',
    row('node', `${d.runtime.node}${d.runtime.electron ? `, electron ${d.runtime.electron}` : ''}`),
    row('platform', `${d.runtime.platform} ${d.runtime.arch} (${d.runtime.osRelease})`),
    'hugging face',
    row('cache', d.hub.cacheDir),
    row('endpoint', d.hub.endpoint),
    row('offline', d.hub.offline ? 'yes (HF_HUB_OFFLINE)' : 'no'),
    row('token', d.hub.tokenSet ? 'set' : 'not set'),
  ];
  return `${lines.join('\n')}\n`;
}
