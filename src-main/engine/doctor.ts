// `sae-explorer doctor`: everything needed to tell why training is slow or the GPU is unused —
// which backend started (or why it could not), devices, CUDA libraries, CPU, memory, versions and
// where Hugging Face files are cached. Never prints secrets: HF_TOKEN is reported as set or not.
import { cpus, availableParallelism, freemem, totalmem, release } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { createRequire } from 'node:module';
import type { Diagnostics, EngineReport } from '../../src-shared/api/engine.js';
import { backendThreads, initEngine, isInstalled, loadedTensorflowBinding, packageDir, parseBackendChoice, tf } from './backend.js';
import { cudaReport } from './cuda.js';
import { gpt2ForwardReport } from './onnx.js';
import { computeGpu, listGpus } from './nvidia.js';
import { hubCacheDir } from '../hub/cache.js';
import { hubEndpoint, isOffline } from '../hub/http.js';

const require = createRequire(import.meta.url);

/** The tfjs packages whose presence decides the backend, in order of preference. */
export const BACKEND_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs'] as const;

export type { Diagnostics };

function packageVersion(pkg: string): string | null {
  if (!isInstalled(pkg)) return null;
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'installed (version unknown)';
  }
}

/** The running engine (started with `auto` unless --backend / SAE_BACKEND says otherwise), or why it cannot start. */
export async function engineReport(): Promise<EngineReport> {
  const tfjsVersion = tf.version.tfjs;
  const requested = parseBackendChoice(process.env.SAE_BACKEND);
  try {
    const info = await initEngine();
    const wasmSimd = info.backend === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : null;
    const { requested: asked, choice, backend, package: pkg, binding, device, skipped, notice } = info;
    return { requested: asked, choice, backend, package: pkg, binding, device, skipped, notice, error: null, threads: await backendThreads(), wasmSimd, tfjsVersion };
  } catch (err) {
    return { requested, choice: null, backend: null, package: null, binding: loadedTensorflowBinding(), device: null, skipped: [], notice: null, error: (err as Error).message, threads: null, wasmSimd: null, tfjsVersion };
  }
}

export async function collectDiagnostics(): Promise<Diagnostics> {
  const engine = await engineReport();
  const processMemory = process.memoryUsage();
  const tensorMemory = tf.memory();
  const cpuList = cpus();
  const gpus = listGpus();
  const binding = loadedTensorflowBinding() === '@tensorflow/tfjs-node-gpu' ? null : packageDir('@tensorflow/tfjs-node-gpu');
  return {
    engine,
    gpt2Forward: engine.choice ? gpt2ForwardReport() : { runtime: null, version: null, threads: null, reason: 'the tensor engine did not start' },
    packages: Object.fromEntries(BACKEND_PACKAGES.map((p) => [p, packageVersion(p)])),
    gpus: gpus.gpus,
    cuda: cudaReport({ gpu: computeGpu(gpus).gpu, bindingDir: binding }),
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

/** Whether the GPU is used, and if not, why and what to do. */
function gpuStatus(d: Diagnostics): string {
  const e = d.engine;
  if (e.choice === 'gpu') return `in use (${e.device?.name ?? 'GPU'})`;
  const skipped = e.skipped.find((s) => s.backend === 'gpu');
  if (skipped) return `not used: ${skipped.reason}${skipped.fix ? `; fix: ${skipped.fix}` : ''}`;
  if (e.requested === 'gpu') return `failed: ${e.error}`;
  return `not tried (--backend ${e.requested})`;
}

function row(label: string, value: string | number): string {
  return `  ${label.padEnd(30)} ${value}`;
}

function backendLine(e: Diagnostics['engine']): string {
  if (!e.choice) return `failed: ${e.error}`;
  return `${e.choice} (${e.backend} from ${e.package}${e.requested === 'auto' ? ', chosen by auto' : ''})`;
}

function gpt2ForwardLine(g: Diagnostics['gpt2Forward']): string {
  if (g.runtime === 'onnx') return `ONNX Runtime ${g.version}, ${g.threads} thread${g.threads === 1 ? '' : 's'} (${g.reason})`;
  if (g.runtime === 'tfjs') return `tfjs (${g.reason})`;
  return `cannot run: ${g.reason}`;
}

/** The human-readable report, one fact per line. */
export function formatDiagnostics(d: Diagnostics): string {
  const e = d.engine;
  const gpuRows = d.gpus.map((g) => row(`gpu ${g.id}`, `${g.name}, ${gib(g.memory.freeBytes)} free of ${gib(g.memory.totalBytes)}, driver ${g.driver}`));
  const lines = [
    'engine',
    row('backend', backendLine(e)),
    ...(e.notice ? [row('fallback', e.notice.replace(/^sae-explorer: /, ''))] : []),
    row('tensorflow binding', e.binding ?? 'none loaded'),
    ...(e.device ? [row('device', `${e.device.name}, ${gib(e.device.memory.freeBytes)} free of ${gib(e.device.memory.totalBytes)}`)] : []),
    row('tfjs', e.tfjsVersion),
    row('threads', `${e.threads ?? 'n/a'}${e.wasmSimd === null ? '' : `, wasm SIMD ${e.wasmSimd ? 'on' : 'off'}`}`),
    row('gpt2 forward', gpt2ForwardLine(d.gpt2Forward)),
    'packages',
    ...Object.entries(d.packages).map(([p, v]) => row(p, v ?? 'not installed')),
    'devices',
    ...(gpuRows.length > 0 ? gpuRows : [row('gpu', 'none (nvidia-smi found no NVIDIA GPU)')]),
    row('gpu status', gpuStatus(d)),
    row('cpu', `${d.cpu.model}, ${d.cpu.cores} cores (${d.cpu.parallelism} usable)`),
    'cuda libraries (for tfjs-node-gpu: CUDA 11.2, cuDNN 8.1)',
    row('libraries folder', d.cuda.libraryFolder ?? 'not set (SAE_EXPLORER_CUDA_LIB_DIR, or the app\'s CUDA libraries folder)'),
    ...d.cuda.libraries.map((l) => row(l.file, l.path ?? 'missing')),
    ...d.cuda.problems.map((p) => row('problem', p)),
    ...d.cuda.fixes.flatMap((f) => [row(`fix (${f.via})`, f.command), row('', `then ${f.then}`)]),
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
