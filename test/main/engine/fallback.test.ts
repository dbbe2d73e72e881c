// `auto` on the machines users have, simulated with stand-in TensorFlow bindings, a fake nvidia-smi
// and a folder of CUDA library files: it falls back with one line naming what is missing and the
// fix, an explicit --backend gpu fails with that reason, and one process loads at most one binding.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostics } from '../../../src-shared/api.js';
import { writeFixtures } from '../features/harvest-fixtures.js';
import { ALL_CUDA_FILES, runOnMachine, type Machine } from './stand-ins.js';

const roots: string[] = [];
function machineRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'sae-machine-'));
  roots.push(root);
  return root;
}
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

async function doctor(machine: Machine, ...flags: string[]) {
  const run = await runOnMachine(machineRoot(), machine, ...flags, 'doctor', '--json');
  expect(run.code, run.stderr).toBe(0);
  return { ...run, report: JSON.parse(run.stdout) as Diagnostics };
}

const WITHOUT_CUDNN = ALL_CUDA_FILES.filter((file) => file !== 'libcudnn.so.8');

describe('backend auto on a machine with tfjs-node-gpu installed', () => {
  const noCudnn: Machine = { gpuPackage: 'gpu', cpuPackage: 'cpu', nvidiaGpu: true, cudaFiles: WITHOUT_CUDNN };

  it('falls back to tfjs-node when a CUDA library is missing, in one line naming it and the fix, without loading tfjs-node-gpu', async () => {
    const { report, stderr, loaded } = await doctor(noCudnn);
    expect(report.engine).toMatchObject({ requested: 'auto', choice: 'tensorflow', backend: 'tensorflow', binding: '@tensorflow/tfjs-node', device: null, error: null });
    expect(report.engine.skipped).toEqual([
      { backend: 'gpu', reason: 'missing libcudnn.so.8 (cuDNN 8)', fix: expect.stringContaining('SAE_EXPLORER_CUDA_LIB_DIR') },
    ]);
    const lines = stderr.split('\n').filter(Boolean);
    expect(lines).toEqual([report.engine.notice]);
    expect(lines[0]).toMatch(/^sae-explorer: backend auto chose tensorflow \(@tensorflow\/tfjs-node\), not gpu: missing libcudnn\.so\.8 \(cuDNN 8\); fix: put the CUDA 11 and cuDNN 8 libraries in a folder/);
    expect(loaded).toEqual(['@tensorflow/tfjs-node']);
  });

  it('--backend gpu fails with the same reason, and doctor reports it', async () => {
    const root = machineRoot();
    const failed = await runOnMachine(root, noCudnn, '--backend', 'gpu', 'run', '--model', path.join(root, 'no-model'), '--text', 'hi');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^sae-explorer: backend "gpu" cannot run: missing libcudnn\.so\.8 \(cuDNN 8\)\. Fix: put the CUDA 11 and cuDNN 8 libraries .*; or pick another backend with --backend tensorflow\|wasm\|cpu\n$/);
    expect(failed.loaded).toEqual([]);
    const { report } = await doctor(noCudnn, '--backend', 'gpu');
    expect(report.engine).toMatchObject({ requested: 'gpu', choice: null, binding: null });
    expect(report.engine.error).toBe(failed.stderr.replace(/^sae-explorer: /, '').trim());
  });

  it('names a driver too old for CUDA 11.2 and a tfjs-node-gpu installed without libtensorflow, before loading it', async () => {
    const { report, loaded } = await doctor({ gpuPackage: 'gpu', cpuPackage: 'cpu', nvidiaGpu: true, cudaFiles: ALL_CUDA_FILES, driver: '418.67', libtensorflow: false });
    expect(report.engine).toMatchObject({ choice: 'tensorflow', binding: '@tensorflow/tfjs-node' });
    const driver = 'the NVIDIA driver 418.67 of Stand-in RTX 3090 is older than 450.80.02, the oldest that runs CUDA 11.2';
    const library = expect.stringMatching(/@tensorflow\/tfjs-node-gpu has no TensorFlow library in .*tfjs-node-gpu\/deps\/lib \(its install step downloads libtensorflow/);
    expect(report.engine.skipped).toEqual([{ backend: 'gpu', reason: expect.stringContaining(driver), fix: expect.stringContaining('install NVIDIA driver 450.80.02 or newer') }]);
    expect(report.engine.skipped[0]!.reason).toEqual(expect.stringContaining('has no TensorFlow library in'));
    expect(report.cuda.problems).toEqual([expect.stringContaining(`${driver}; fix: install NVIDIA driver 450.80.02 or newer`), library]);
    expect(report.cuda.problems[1]).toMatch(/; fix: npm rebuild @tensorflow\/tfjs-node-gpu with network access/);
    expect(loaded).toEqual(['@tensorflow/tfjs-node']);
  });

  it('falls back past a tfjs-node-gpu that fails to load, and says so for both better backends', async () => {
    const { report, stderr, loaded } = await doctor({ gpuPackage: 'fails', cpuPackage: null, nvidiaGpu: true, cudaFiles: ALL_CUDA_FILES });
    expect(report.engine).toMatchObject({ choice: 'wasm', binding: null });
    const failure = '@tensorflow/tfjs-node-gpu is installed but failed to load (libtensorflow.so.2: cannot open shared object file: No such file or directory)';
    expect(report.engine.skipped).toEqual([
      { backend: 'gpu', reason: failure, fix: 'reinstall it: npm rebuild @tensorflow/tfjs-node-gpu' },
      { backend: 'tensorflow', reason: failure, fix: 'reinstall it: npm rebuild @tensorflow/tfjs-node-gpu' },
    ]);
    expect(stderr.split('\n').filter(Boolean)).toEqual([`sae-explorer: backend auto chose wasm (@tensorflow/tfjs-backend-wasm), not gpu: ${failure}; not tensorflow: ${failure}; fix: reinstall it: npm rebuild @tensorflow/tfjs-node-gpu`]);
    expect(loaded).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node-gpu']);
  });

  it('uses the GPU when everything is in place: no notice, the device named, tfjs-node never loaded', async () => {
    const { report, stderr, loaded } = await doctor({ gpuPackage: 'gpu', cpuPackage: 'cpu', nvidiaGpu: true, cudaFiles: ALL_CUDA_FILES });
    expect(report.engine).toMatchObject({ choice: 'gpu', binding: '@tensorflow/tfjs-node-gpu', skipped: [], notice: null });
    expect(report.engine.device).toEqual({ id: '0', uuid: 'GPU-5ee1ab1e-0000-4000-8000-000000000000', name: 'Stand-in RTX 3090', driver: '535.54.03', memory: { totalBytes: 24576 * 2 ** 20, freeBytes: 20480 * 2 ** 20 } });
    expect(stderr).toBe('');
    expect(loaded).toEqual(['@tensorflow/tfjs-node-gpu']);
  });

  it('keeps tfjs-node-gpu as TensorFlow on the CPU when it loads but finds no GPU, rather than loading tfjs-node too', async () => {
    const { report, loaded } = await doctor({ gpuPackage: 'cpu', cpuPackage: 'cpu', nvidiaGpu: true, cudaFiles: ALL_CUDA_FILES });
    expect(report.engine).toMatchObject({ choice: 'tensorflow', binding: '@tensorflow/tfjs-node-gpu', package: '@tensorflow/tfjs-node-gpu', device: null });
    expect(report.engine.skipped[0]?.reason).toMatch(/^@tensorflow\/tfjs-node-gpu loaded but TensorFlow registered no GPU device/);
    expect(loaded).toEqual(['@tensorflow/tfjs-node-gpu']);
  });

  it('passes over the GPU without a word about CUDA where there is no NVIDIA GPU', async () => {
    const { report, loaded } = await doctor({ gpuPackage: 'gpu', cpuPackage: 'cpu', nvidiaGpu: false, cudaFiles: [] });
    expect(report.engine).toMatchObject({ choice: 'tensorflow', binding: '@tensorflow/tfjs-node' });
    expect(report.engine.skipped).toEqual([{ backend: 'gpu', reason: 'no NVIDIA GPU found (nvidia-smi is missing or fails, so there is no NVIDIA driver)', fix: null }]);
    expect(report.engine.notice).not.toContain('fix:');
    expect(report.gpus).toEqual([]);
    expect(loaded).toEqual(['@tensorflow/tfjs-node']);
  });
});

describe('doctor --json', () => {
  it('lists every CUDA library as found, with its path in the CUDA libraries folder, or missing, and how to get the missing ones', async () => {
    const root = machineRoot();
    const run = await runOnMachine(root, { gpuPackage: 'gpu', cpuPackage: 'cpu', nvidiaGpu: true, cudaFiles: WITHOUT_CUDNN }, 'doctor', '--json');
    const { cuda } = JSON.parse(run.stdout) as Diagnostics;
    const folder = path.join(root, 'cuda11');
    expect(cuda.libraryFolder).toBe(folder);
    expect(cuda.libraries.map((l) => [l.file, l.found])).toEqual(ALL_CUDA_FILES.map((file) => [file, file !== 'libcudnn.so.8']));
    expect(cuda.libraries.find((l) => l.file === 'libcublasLt.so.11')?.path).toBe(path.join(folder, 'nvidia', 'cublasLt', 'lib', 'libcublasLt.so.11'));
    expect(cuda.libraries.find((l) => l.file === 'libcudnn.so.8')).toEqual({ name: 'cuDNN 8', file: 'libcudnn.so.8', found: false, path: null });
    expect(cuda.problems).toEqual(['missing libcudnn.so.8 (cuDNN 8)']);
    expect(cuda.fixes.map((f) => f.command)).toEqual(['pip install --target ~/sae-cuda11 "nvidia-cudnn-cu11==8.*"', 'conda create -p ~/sae-cuda11 -c conda-forge cudatoolkit=11.2 cudnn=8.1']);
    expect(cuda.fixes[0]!.then).toMatch(/^set the app's CUDA libraries folder .* or SAE_EXPLORER_CUDA_LIB_DIR to ~\/sae-cuda11/);
  });
});

describe('GPU memory', () => {
  it('refuses a harvest whose weights exceed the GPU\'s free memory before loading anything, with the figures', async () => {
    const root = machineRoot();
    const { modelDir, saeDirs } = writeFixtures(root);
    const db = path.join(root, 'features.db');
    const full: Machine = { gpuPackage: 'gpu', cpuPackage: 'cpu', nvidiaGpu: true, cudaFiles: ALL_CUDA_FILES, freeMiB: 0 };
    const run = await runOnMachine(root, full, 'harvest', '--model', modelDir, '--sae', saeDirs[0]!, '--tokens', '300', '--db', db);
    const weights = statSync(path.join(modelDir, 'model.safetensors')).size + statSync(path.join(saeDirs[0]!, 'sae_weights.safetensors')).size;
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `sae-explorer: harvest of 1 SAE with ${modelDir} needs at least ${(weights / 2 ** 20).toFixed(1)} MiB on the GPU, but the free memory of Stand-in RTX 3090 (24.0 GiB in all) is 0.0 KiB; free some (other programs, a smaller size) or use --backend tensorflow\n`,
    );
    expect(existsSync(db)).toBe(false);
  });

  it('refuses a training run larger than the GPU\'s free memory, measured against the device', async () => {
    const root = machineRoot();
    const { modelDir } = writeFixtures(root);
    const out = path.join(root, 'family');
    const full: Machine = { gpuPackage: 'gpu', cpuPackage: 'cpu', nvidiaGpu: true, cudaFiles: ALL_CUDA_FILES, freeMiB: 0 };
    const run = await runOnMachine(root, full, 'train', '--model', modelDir, '--hook', 'blocks.1.hook_resid_post', '--latents', '64', '--k', '4', '--tokens', '2000', '--out', out);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^sae-explorer: training needs about [\d.]+ GiB in one tensor instance \(64 latents .*\), but the free memory of Stand-in RTX 3090 \(24\.0 GiB in all\) holds at most 0\.00 GiB; /m);
    expect(existsSync(path.join(out, '64'))).toBe(false);
  });
});
