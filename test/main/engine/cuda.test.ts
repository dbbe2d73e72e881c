import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CUDA_LIBRARIES, cudaLibraryDirs, cudaLibraryFolderPending, cudaProblems, cudaReport, findCudaLibraries, withCudaLibraryFolder } from '../../../src-main/engine/cuda.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'sae-cuda-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function folderWith(name: string, files: Record<string, string[]>): string {
  const root = path.join(tmp, name);
  for (const [dir, names] of Object.entries(files)) {
    mkdirSync(path.join(root, dir), { recursive: true });
    for (const file of names) writeFileSync(path.join(root, dir, file), '');
  }
  return root;
}

const noCache = new Map<string, string>();

describe('the CUDA libraries folder', () => {
  it('covers a pip --target folder (nvidia/<package>/lib) and a conda prefix (lib/)', () => {
    const pip = folderWith('pip', { 'nvidia/cudnn/lib': ['libcudnn.so.8'], 'nvidia/cublas/lib': ['libcublas.so.11'], 'nvidia/cublas/include': [] });
    expect(cudaLibraryDirs(pip, 'linux')).toEqual([pip, path.join(pip, 'nvidia/cublas/lib'), path.join(pip, 'nvidia/cudnn/lib')]);
    const conda = folderWith('conda', { lib: ['libcudart.so.11.0'] });
    expect(cudaLibraryDirs(conda, 'linux')).toEqual([conda, path.join(conda, 'lib')]);
    const windows = folderWith('win', { 'Library/bin': ['cudnn64_8.dll'], 'nvidia/cudnn/bin': ['cudnn64_8.dll'] });
    expect(cudaLibraryDirs(windows, 'win32')).toEqual([windows, path.join(windows, 'Library/bin'), path.join(windows, 'nvidia/cudnn/bin')]);
  });

  it('goes in front of LD_LIBRARY_PATH (PATH on Windows, whatever its case) once, and is named for the child', () => {
    const pip = folderWith('pip2', { 'nvidia/cudnn/lib': [] });
    const dir = path.join(pip, 'nvidia/cudnn/lib');
    const env = withCudaLibraryFolder({ LD_LIBRARY_PATH: '/opt/other', HOME: '/h' }, pip, 'linux');
    expect(env).toEqual({ LD_LIBRARY_PATH: `${pip}:${dir}:/opt/other`, HOME: '/h', SAE_EXPLORER_CUDA_LIB_DIR: pip });
    expect(withCudaLibraryFolder(env, pip, 'linux').LD_LIBRARY_PATH).toBe(env.LD_LIBRARY_PATH);
    expect(cudaLibraryFolderPending(env, 'linux')).toBe(false);
    expect(cudaLibraryFolderPending({ SAE_EXPLORER_CUDA_LIB_DIR: pip, LD_LIBRARY_PATH: dir }, 'linux')).toBe(true);
    const win = withCudaLibraryFolder({ Path: 'C:\\Windows' }, pip, 'win32');
    expect(win).toEqual({ Path: `${pip};C:\\Windows`, SAE_EXPLORER_CUDA_LIB_DIR: pip });
  });
});

describe('finding the libraries', () => {
  it('finds each on the loader path or in the ldconfig cache, and names the missing ones with a fix', () => {
    const dir = folderWith('found', { lib: ['libcudart.so.11.0', 'libcublas.so.11'] });
    const env = { LD_LIBRARY_PATH: path.join(dir, 'lib') };
    const cache = new Map([['libcudnn.so.8', '/usr/lib/x86_64-linux-gnu/libcudnn.so.8']]);
    const libraries = findCudaLibraries({ env, platform: 'linux', loaderCache: cache });
    expect(libraries).toHaveLength(CUDA_LIBRARIES.length);
    expect(libraries.find((l) => l.file === 'libcudart.so.11.0')).toEqual({ name: 'CUDA runtime 11', file: 'libcudart.so.11.0', found: true, path: path.join(dir, 'lib', 'libcudart.so.11.0') });
    expect(libraries.find((l) => l.file === 'libcudnn.so.8')?.path).toBe('/usr/lib/x86_64-linux-gnu/libcudnn.so.8');
    const missing = libraries.filter((l) => !l.found).map((l) => l.file);
    expect(missing).toEqual(['libcublasLt.so.11', 'libcufft.so.10', 'libcurand.so.10', 'libcusolver.so.11', 'libcusparse.so.11']);
    expect(cudaProblems(libraries, env, 'linux')).toEqual([
      { reason: 'missing libcublasLt.so.11 (cuBLASLt 11), libcufft.so.10 (cuFFT 10), libcurand.so.10 (cuRAND 10), libcusolver.so.11 (cuSOLVER 11), libcusparse.so.11 (cuSPARSE 11)', fix: expect.stringContaining('SAE_EXPLORER_CUDA_LIB_DIR') },
    ]);
    const report = cudaReport({ env, platform: 'linux', loaderCache: cache });
    expect(report.fixes[0]).toEqual({
      via: 'pip',
      command: 'pip install --target ~/sae-cuda11 nvidia-cublas-cu11 nvidia-cufft-cu11 nvidia-curand-cu11 nvidia-cusolver-cu11 nvidia-cusparse-cu11',
      then: "set the app's CUDA libraries folder (File > CUDA Libraries Folder…) or SAE_EXPLORER_CUDA_LIB_DIR to ~/sae-cuda11 (its nvidia/*/lib folders are searched)",
    });
    expect(report.searched).toEqual([path.join(dir, 'lib'), '(ldconfig cache)', '/lib', '/usr/lib', '/lib64', '/usr/lib64']);
  });

  it('does not count a folder the loader will not search, and says how to put it on the path', () => {
    const pip = folderWith('unpathed', { 'nvidia/cudnn/lib': ['libcudnn.so.8'] });
    const env = { SAE_EXPLORER_CUDA_LIB_DIR: pip };
    const libraries = findCudaLibraries({ env, platform: 'linux', loaderCache: noCache });
    expect(libraries.find((l) => l.file === 'libcudnn.so.8')?.found).toBe(false);
    expect(cudaProblems(libraries, env, 'linux')[0]).toEqual({
      reason: `the CUDA libraries folder ${pip} is not on this process's LD_LIBRARY_PATH, which the loader reads only at start`,
      fix: `start through \`sae-explorer\` or the app, which add it, or export LD_LIBRARY_PATH=${pip}:${path.join(pip, 'nvidia/cudnn/lib')}:$LD_LIBRARY_PATH`,
    });
    expect(cudaProblems([], { SAE_EXPLORER_CUDA_LIB_DIR: path.join(tmp, 'nope') }, 'linux')).toEqual([
      { reason: `the CUDA libraries folder ${path.join(tmp, 'nope')} does not exist`, fix: expect.stringContaining('an existing folder') },
    ]);
  });

  it('checks the driver against CUDA 11.2\'s minimum and the package for its libtensorflow', () => {
    const gpu = (driver: string) => ({ id: '0', uuid: 'GPU-1', name: 'RTX 3090', driver, memory: { totalBytes: 1, freeBytes: 1 } });
    const withLib = folderWith('tfjs-node-gpu', { 'deps/lib': ['libtensorflow.so.2.9.1', 'libtensorflow_framework.so.2'] });
    const withoutLib = folderWith('tfjs-node-gpu-bare', { lib: ['tfjs_binding.node'] });
    const reasons = (setup: Parameters<typeof cudaProblems>[3], platform: NodeJS.Platform = 'linux') => cudaProblems([], {}, platform, setup).map((p) => p.reason);
    expect(reasons({ gpu: gpu('535.54.03'), bindingDir: withLib })).toEqual([]);
    expect(reasons({ gpu: gpu('450.80.02') })).toEqual([]);
    expect(reasons({ gpu: gpu('450.66') })).toEqual(['the NVIDIA driver 450.66 of RTX 3090 is older than 450.80.02, the oldest that runs CUDA 11.2']);
    expect(reasons({ gpu: gpu('452.06') }, 'win32')).toEqual(['the NVIDIA driver 452.06 of RTX 3090 is older than 452.39, the oldest that runs CUDA 11.2']);
    expect(reasons({ bindingDir: withoutLib })).toEqual([`@tensorflow/tfjs-node-gpu has no TensorFlow library in ${path.join(withoutLib, 'deps', 'lib')} (its install step downloads libtensorflow, and that download failed or was skipped)`]);
    // Windows ships tensorflow.dll, not the Linux soname.
    expect(reasons({ bindingDir: withLib }, 'win32')).toHaveLength(1);
  });

  it('has nothing to fix where tfjs-node-gpu has no CUDA build', () => {
    const report = cudaReport({ env: {}, platform: 'darwin' });
    expect(report.problems).toEqual(['@tensorflow/tfjs-node-gpu has no CUDA build for darwin']);
    expect(report.fixes).toEqual([]);
  });
});
