// The CUDA 11.2 / cuDNN 8.1 shared libraries tfjs-node-gpu 4.x (TensorFlow 2.9) opens at start:
// where the dynamic loader would find each one, and the "CUDA libraries folder" setting that puts a
// user-owned copy on the loader's path, so a missing library is reported by name with a fix instead
// of TensorFlow silently running on the CPU. The libraries may live in a user folder beside a newer
// driver (CUDA 12 drivers run CUDA 11 code): nothing here asks the user to change the system CUDA.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { CudaFix, CudaLibraryStatus, CudaReport, GpuDevice } from '../../src-shared/api/engine.js';

/** The setting's environment variable; the app passes its "CUDA libraries folder" this way too. */
export const CUDA_LIB_DIR_ENV = 'SAE_EXPLORER_CUDA_LIB_DIR';

interface CudaLibrary {
  name: string;
  linux: string;
  win32: string;
  /** The pip wheel that ships it (CUDA 11 builds; any cuDNN 8 ≥ 8.1 satisfies TensorFlow's check). */
  wheel: string;
}

export const CUDA_LIBRARIES: readonly CudaLibrary[] = [
  { name: 'CUDA runtime 11', linux: 'libcudart.so.11.0', win32: 'cudart64_110.dll', wheel: 'nvidia-cuda-runtime-cu11' },
  { name: 'cuBLAS 11', linux: 'libcublas.so.11', win32: 'cublas64_11.dll', wheel: 'nvidia-cublas-cu11' },
  { name: 'cuBLASLt 11', linux: 'libcublasLt.so.11', win32: 'cublasLt64_11.dll', wheel: 'nvidia-cublas-cu11' },
  { name: 'cuFFT 10', linux: 'libcufft.so.10', win32: 'cufft64_10.dll', wheel: 'nvidia-cufft-cu11' },
  { name: 'cuRAND 10', linux: 'libcurand.so.10', win32: 'curand64_10.dll', wheel: 'nvidia-curand-cu11' },
  { name: 'cuSOLVER 11', linux: 'libcusolver.so.11', win32: 'cusolver64_11.dll', wheel: 'nvidia-cusolver-cu11' },
  { name: 'cuSPARSE 11', linux: 'libcusparse.so.11', win32: 'cusparse64_11.dll', wheel: 'nvidia-cusparse-cu11' },
  { name: 'cuDNN 8', linux: 'libcudnn.so.8', win32: 'cudnn64_8.dll', wheel: 'nvidia-cudnn-cu11==8.*' },
];

/** The platforms tfjs-node-gpu ships a CUDA build for. */
export function hasCudaBuild(platform: NodeJS.Platform): boolean {
  return platform === 'linux' || platform === 'win32';
}

function libraryFile(lib: CudaLibrary, platform: NodeJS.Platform): string {
  return platform === 'win32' ? lib.win32 : lib.linux;
}

/** The environment variable the loader searches: LD_LIBRARY_PATH on Linux, PATH on Windows (any case). */
function pathVariable(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  if (platform !== 'win32') return 'LD_LIBRARY_PATH';
  return Object.keys(env).find((key) => key.toUpperCase() === 'PATH') ?? 'PATH';
}

function splitPath(value: string | undefined, platform: NodeJS.Platform): string[] {
  return (value ?? '').split(platform === 'win32' ? ';' : ':').filter(Boolean);
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name)).sort();
  } catch {
    return [];
  }
}

/**
 * The library folders inside a "CUDA libraries folder": the folder itself, a conda prefix's lib/
 * (Library/bin on Windows), and a `pip install --target` folder's nvidia/<package>/lib (bin on
 * Windows), so the user points the setting at the folder they installed into.
 */
export function cudaLibraryDirs(folder: string, platform: NodeJS.Platform = process.platform): string[] {
  const libName = platform === 'win32' ? 'bin' : 'lib';
  const candidates = [folder, path.join(folder, 'lib'), path.join(folder, 'lib64'), path.join(folder, 'Library', 'bin')];
  candidates.push(...subfolders(path.join(folder, 'nvidia')).map((d) => path.join(d, libName)));
  return candidates.filter((dir) => existsSync(dir));
}

/**
 * `env` with the CUDA libraries folder's library dirs in front of the loader's search path (and the
 * folder in CUDA_LIB_DIR_ENV, so the child can report it). The loader reads LD_LIBRARY_PATH only when
 * a process starts, so this is for the environment of a process about to be spawned.
 */
export function withCudaLibraryFolder(env: NodeJS.ProcessEnv, folder: string, platform: NodeJS.Platform = process.platform): NodeJS.ProcessEnv {
  const key = pathVariable(env, platform);
  const current = splitPath(env[key], platform);
  const dirs = cudaLibraryDirs(folder, platform);
  const joined = [...dirs, ...current.filter((d) => !dirs.includes(d))].join(platform === 'win32' ? ';' : ':');
  return { ...env, [CUDA_LIB_DIR_ENV]: folder, [key]: joined };
}

/** True when the folder's library dirs are not all on this process's loader path yet. */
export function cudaLibraryFolderPending(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  const folder = env[CUDA_LIB_DIR_ENV];
  if (!folder || !hasCudaBuild(platform)) return false;
  const onPath = splitPath(env[pathVariable(env, platform)], platform);
  return cudaLibraryDirs(folder, platform).some((dir) => !onPath.includes(dir));
}

/** `ldconfig -p`'s soname → path table for this architecture (ldconfig is often only in /sbin). */
function ldconfigCache(): Map<string, string> {
  const arch = process.arch === 'x64' ? 'x86-64' : process.arch === 'arm64' ? 'AArch64' : '';
  for (const command of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    try {
      const out = execFileSync(command, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const table = new Map<string, string>();
      for (const match of out.matchAll(/^\s*(\S+) \(([^)]*)\) => (.+)$/gm)) {
        if ((!arch || match[2]!.includes(arch)) && !table.has(match[1]!)) table.set(match[1]!, match[3]!.trim());
      }
      return table;
    } catch {
      // Not at this path; try the next.
    }
  }
  return new Map();
}

export interface LibrarySearchOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** soname → path, as `ldconfig -p` lists them; read from the system when omitted (Linux). */
  loaderCache?: Map<string, string>;
}

/** Folders the loader searches, in its order (the ldconfig cache sits between the two on Linux). */
function searchDirs(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): { before: string[]; after: string[] } {
  const onPath = splitPath(env[pathVariable(env, platform)], platform);
  if (platform === 'win32') return { before: [...(env.SystemRoot ? [path.join(env.SystemRoot, 'System32')] : []), ...onPath], after: [] };
  return { before: onPath, after: ['/lib', '/usr/lib', '/lib64', '/usr/lib64'] };
}

/** Every library tfjs-node-gpu needs, found (with its path) or missing, where the loader would look. */
export function findCudaLibraries(options: LibrarySearchOptions = {}): CudaLibraryStatus[] {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const { before, after } = searchDirs(env, platform);
  const cache = platform === 'linux' ? (options.loaderCache ?? ldconfigCache()) : new Map<string, string>();
  return CUDA_LIBRARIES.map((lib) => {
    const file = libraryFile(lib, platform);
    const dir = before.find((d) => existsSync(path.join(d, file)));
    const where = dir ? path.join(dir, file) : (cache.get(file) ?? after.map((d) => path.join(d, file)).find((p) => existsSync(p)) ?? null);
    return { name: lib.name, file, found: where !== null, path: where };
  });
}

/** How to get the missing libraries into a user folder and point the setting at it. */
function fixesFor(missing: CudaLibraryStatus[], platform: NodeJS.Platform): CudaFix[] {
  if (missing.length === 0) return [];
  const folder = platform === 'win32' ? '%USERPROFILE%\\sae-cuda11' : '~/sae-cuda11';
  const wheels = [...new Set(CUDA_LIBRARIES.filter((lib) => missing.some((m) => m.name === lib.name)).map((lib) => lib.wheel))];
  const then = `set the app's CUDA libraries folder (File > CUDA Libraries Folder…) or ${CUDA_LIB_DIR_ENV} to ${folder}`;
  return [
    { via: 'pip', command: `pip install --target ${folder} ${wheels.map((w) => (w.includes('*') ? `"${w}"` : w)).join(' ')}`, then: `${then} (its nvidia/*/${platform === 'win32' ? 'bin' : 'lib'} folders are searched)` },
    { via: 'conda', command: `conda create -p ${folder} -c conda-forge cudatoolkit=11.2 cudnn=8.1`, then },
  ];
}

/** The one-line fix for missing libraries, for the fallback notice. */
export const CUDA_LIBRARIES_FIX = `put the CUDA 11 and cuDNN 8 libraries in a folder of yours (pip wheels or conda; \`sae-explorer doctor\` gives the commands) and set it as ${CUDA_LIB_DIR_ENV} or the app's CUDA libraries folder`;

/** Something that stops tfjs-node-gpu from opening the libraries, and what to do about it. */
export interface CudaProblem {
  reason: string;
  fix: string | null;
}

/**
 * The oldest driver that runs CUDA 11.x code (CUDA's minor version compatibility; NVIDIA's CUDA 11
 * release notes): older drivers fail at CUDA's initialisation and TensorFlow silently stays on the CPU.
 */
export const MIN_CUDA11_DRIVER: Partial<Record<NodeJS.Platform, string>> = { linux: '450.80.02', win32: '452.39' };

function olderVersion(version: string, than: string): boolean {
  const a = version.split('.').map(Number);
  const b = than.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

/** The TensorFlow C library tfjs-node-gpu's install step downloads into <package>/deps/lib. */
function libtensorflowFile(platform: NodeJS.Platform): RegExp {
  return platform === 'win32' ? /^tensorflow\.dll$/ : /^libtensorflow\.so\.2(\.|$)/;
}

/** Beyond the libraries: the GPU's driver and the package's own TensorFlow, when known. */
export interface GpuSetup {
  /** The GPU TensorFlow would compute on (nvidia.ts computeGpu). */
  gpu?: GpuDevice | null;
  /** The installed tfjs-node-gpu package's folder. */
  bindingDir?: string | null;
}

/** What stops tfjs-node-gpu from opening its libraries here; empty when nothing does. */
export function cudaProblems(libraries: CudaLibraryStatus[], env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, setup: GpuSetup = {}): CudaProblem[] {
  if (!hasCudaBuild(platform)) return [{ reason: `@tensorflow/tfjs-node-gpu has no CUDA build for ${platform}`, fix: null }];
  const problems: CudaProblem[] = [];
  const minDriver = MIN_CUDA11_DRIVER[platform];
  if (setup.gpu && minDriver && olderVersion(setup.gpu.driver, minDriver)) {
    problems.push({ reason: `the NVIDIA driver ${setup.gpu.driver} of ${setup.gpu.name} is older than ${minDriver}, the oldest that runs CUDA 11.2`, fix: `install NVIDIA driver ${minDriver} or newer (any newer driver, CUDA 12's included, runs CUDA 11 code)` });
  }
  if (setup.bindingDir) {
    const lib = path.join(setup.bindingDir, 'deps', 'lib');
    const present = existsSync(lib) && readdirSync(lib).some((name) => libtensorflowFile(platform).test(name));
    if (!present) {
      problems.push({
        reason: `@tensorflow/tfjs-node-gpu has no TensorFlow library in ${lib} (its install step downloads libtensorflow, and that download failed or was skipped)`,
        fix: 'npm rebuild @tensorflow/tfjs-node-gpu with network access (TFJS_NODE_CDN_STORAGE names a mirror)',
      });
    }
  }
  const folder = env[CUDA_LIB_DIR_ENV];
  if (folder && !existsSync(folder)) {
    problems.push({ reason: `the CUDA libraries folder ${folder} does not exist`, fix: `point ${CUDA_LIB_DIR_ENV} or the app's CUDA libraries folder at an existing folder` });
  } else if (cudaLibraryFolderPending(env, platform)) {
    problems.push({
      reason: `the CUDA libraries folder ${folder} is not on this process's LD_LIBRARY_PATH, which the loader reads only at start`,
      fix: `start through \`sae-explorer\` or the app, which add it, or export LD_LIBRARY_PATH=${cudaLibraryDirs(folder!, platform).join(':')}:$LD_LIBRARY_PATH`,
    });
  }
  const missing = libraries.filter((l) => !l.found);
  if (missing.length > 0) problems.push({ reason: `missing ${missing.map((l) => `${l.file} (${l.name})`).join(', ')}`, fix: CUDA_LIBRARIES_FIX });
  return problems;
}

/** The libraries, the setting, and what stops tfjs-node-gpu from opening them, for `doctor`. */
export function cudaReport(options: LibrarySearchOptions & GpuSetup = {}): CudaReport {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const libraries = findCudaLibraries(options);
  const { before, after } = searchDirs(env, platform);
  return {
    libraryFolder: env[CUDA_LIB_DIR_ENV] || null,
    searched: platform === 'linux' ? [...before, '(ldconfig cache)', ...after] : [...before, ...after],
    libraries,
    // The missing libraries' fix is `fixes` below, in full.
    problems: cudaProblems(libraries, env, platform, options).map((p) => (p.fix && p.fix !== CUDA_LIBRARIES_FIX ? `${p.reason}; fix: ${p.fix}` : p.reason)),
    fixes: hasCudaBuild(platform) ? fixesFor(libraries.filter((l) => !l.found), platform) : [],
  };
}
