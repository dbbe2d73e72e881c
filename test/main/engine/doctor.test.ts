import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { availableParallelism, cpus } from 'node:os';
import { createRequire } from 'node:module';
import type { Diagnostics, GpuDevice } from '../../../src-shared/api.js';
import { collectDiagnostics, formatDiagnostics } from '../../../src-main/engine/doctor.js';
import { engineInfo, tf } from '../../../src-main/engine/backend.js';
import { CUDA_LIBRARIES } from '../../../src-main/engine/cuda.js';

const require = createRequire(import.meta.url);
const ENV_KEYS = ['HF_HUB_CACHE', 'HF_HUB_OFFLINE', 'HF_TOKEN', 'HF_ENDPOINT'] as const;
let savedEnv: Record<string, string | undefined>;

beforeEach(() => {
  savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
});
afterEach(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

describe('collectDiagnostics', () => {
  it('reports the running backend, its threads, versions, CPU and CUDA libraries', async () => {
    const d = await collectDiagnostics();
    expect(d.engine.backend).toBe(engineInfo().backend);
    expect(d.engine.backend).toBe(tf.getBackend());
    expect(d.engine.package).toBe(engineInfo().package);
    expect(d.engine.error).toBeNull();
    expect(d.engine.binding).toBe(engineInfo().binding);
    if (d.engine.backend === 'wasm') {
      expect(d.engine.threads).toBe(1);
      expect(typeof d.engine.wasmSimd).toBe('boolean');
    } else {
      expect(d.engine.threads).toBeGreaterThanOrEqual(1);
    }
    expect(d.engine.tfjsVersion).toBe(require('@tensorflow/tfjs/package.json').version);
    expect(d.packages['@tensorflow/tfjs-backend-wasm']).toBe(require('@tensorflow/tfjs-backend-wasm/package.json').version);
    expect(d.cuda.libraries.map((l) => l.name)).toEqual(CUDA_LIBRARIES.map((l) => l.name));
    expect(d.cpu.cores).toBe(cpus().length);
    expect(d.memory.totalBytes).toBeGreaterThan(d.memory.freeBytes);
    expect(d.runtime.node).toBe(process.versions.node);
    // On wasm (here) GPT-2's inference forward runs on ONNX Runtime, one thread per core.
    if (d.engine.backend === 'wasm') {
      expect(d.gpt2Forward).toMatchObject({ runtime: 'onnx', version: require('onnxruntime-node/package.json').version, threads: availableParallelism() });
      expect(formatDiagnostics(d)).toContain(`gpt2 forward                   ONNX Runtime ${d.gpt2Forward.version}, ${availableParallelism()} threads`);
    }
  });

  it('says why GPT-2 stays on tfjs, and names a bad SAE_GPT2_RUNTIME', async () => {
    try {
      process.env.SAE_GPT2_RUNTIME = 'tfjs';
      expect((await collectDiagnostics()).gpt2Forward).toMatchObject({ runtime: 'tfjs', reason: 'SAE_GPT2_RUNTIME=tfjs' });
      process.env.SAE_GPT2_RUNTIME = 'cuda';
      const d = await collectDiagnostics();
      expect(d.gpt2Forward.runtime).toBeNull();
      expect(formatDiagnostics(d)).toContain('gpt2 forward                   cannot run: SAE_GPT2_RUNTIME="cuda": expected auto, onnx, tfjs');
    } finally {
      delete process.env.SAE_GPT2_RUNTIME;
    }
  });

  it('reports the HF cache, endpoint and offline mode, and only whether a token is set', async () => {
    process.env.HF_HUB_CACHE = '/data/hf-cache';
    process.env.HF_HUB_OFFLINE = '1';
    process.env.HF_ENDPOINT = 'http://mirror.local/';
    process.env.HF_TOKEN = 'hf_topsecret';
    const d = await collectDiagnostics();
    expect(d.hub).toEqual({ cacheDir: '/data/hf-cache', endpoint: 'http://mirror.local', offline: true, tokenSet: true });
    expect(JSON.stringify(d)).not.toContain('hf_topsecret');
    expect(formatDiagnostics(d)).not.toContain('hf_topsecret');
  });
});

describe('formatDiagnostics', () => {
  const rtx: GpuDevice = { id: '0', uuid: 'GPU-1', name: 'NVIDIA GeForce RTX 3090', driver: '535.54', memory: { totalBytes: 24 * 2 ** 30, freeBytes: 20 * 2 ** 30 } };
  const gpuFailure = 'backend "gpu" cannot run: missing libcudnn.so.8 (cuDNN 8). Fix: put the libraries in a folder';
  const base: Diagnostics = {
    engine: { requested: 'gpu', choice: null, backend: null, package: null, binding: null, device: null, skipped: [], notice: null, error: gpuFailure, threads: null, wasmSimd: null, tfjsVersion: '4.22.0' },
    gpt2Forward: { runtime: null, version: null, threads: null, reason: 'the tensor engine did not start' },
    packages: { '@tensorflow/tfjs-node-gpu': '4.22.0', '@tensorflow/tfjs-node': null },
    gpus: [rtx],
    cuda: {
      libraryFolder: '/home/u/sae-cuda11',
      searched: ['/home/u/sae-cuda11/nvidia/cudart/lib', '(ldconfig cache)', '/lib', '/usr/lib'],
      libraries: [
        { name: 'CUDA runtime 11', file: 'libcudart.so.11.0', found: true, path: '/home/u/sae-cuda11/nvidia/cudart/lib/libcudart.so.11.0' },
        { name: 'cuDNN 8', file: 'libcudnn.so.8', found: false, path: null },
      ],
      problems: ['missing libcudnn.so.8 (cuDNN 8)'],
      fixes: [
        { via: 'pip', command: 'pip install --target ~/sae-cuda11 "nvidia-cudnn-cu11==8.*"', then: 'set the folder' },
        { via: 'conda', command: 'conda create -p ~/sae-cuda11 -c conda-forge cudatoolkit=11.2 cudnn=8.1', then: 'set the folder' },
      ],
    },
    cpu: { model: 'Ryzen 9', cores: 16, parallelism: 16 },
    memory: { totalBytes: 64 * 2 ** 30, freeBytes: 32 * 2 ** 30, rssBytes: 2 ** 28, heapUsedBytes: 2 ** 27, heapLimitBytes: 4 * 2 ** 30, tensors: 3, tensorBytes: 1024 },
    runtime: { node: '20.20.0', electron: null, platform: 'linux', arch: 'x64', osRelease: '6.1' },
    hub: { cacheDir: '/home/u/.cache/huggingface/hub', endpoint: 'https://huggingface.co', offline: false, tokenSet: false },
  };

  it('shows a failed start, the GPU, every CUDA library found or missing, and the fixes', () => {
    const text = formatDiagnostics(base);
    expect(text).toContain(`  backend                        failed: ${gpuFailure}\n`);
    expect(text).toContain('  tensorflow binding             none loaded\n');
    expect(text).toContain('  gpu 0                          NVIDIA GeForce RTX 3090, 20.0 GiB free of 24.0 GiB, driver 535.54\n');
    expect(text).toContain(`  gpu status                     failed: ${gpuFailure}\n`);
    expect(text).toContain('  libraries folder               /home/u/sae-cuda11\n');
    expect(text).toContain('  libcudnn.so.8                  missing\n');
    expect(text).toContain('  libcudart.so.11.0              /home/u/sae-cuda11/nvidia/cudart/lib/libcudart.so.11.0\n');
    expect(text).toContain('  problem                        missing libcudnn.so.8 (cuDNN 8)\n');
    expect(text).toContain('  fix (pip)                      pip install --target ~/sae-cuda11 "nvidia-cudnn-cu11==8.*"\n                                 then set the folder\n');
    expect(text).toContain('  fix (conda)                    conda create -p ~/sae-cuda11 -c conda-forge cudatoolkit=11.2 cudnn=8.1\n');
    expect(text).toContain('  @tensorflow/tfjs-node          not installed\n');
    expect(text).toContain('  system                         32.0 GiB free of 64.0 GiB\n');
    expect(text).toContain('  offline                        no\n');
  });

  it('shows what auto chose, the fallback line, and the device in use', () => {
    const notice = 'sae-explorer: backend auto chose tensorflow (@tensorflow/tfjs-node), not gpu: missing libcudnn.so.8 (cuDNN 8); fix: put them in a folder';
    const fellBack = formatDiagnostics({
      ...base,
      engine: { ...base.engine, requested: 'auto', choice: 'tensorflow', backend: 'tensorflow', package: '@tensorflow/tfjs-node', binding: '@tensorflow/tfjs-node', error: null, threads: 16, notice, skipped: [{ backend: 'gpu', reason: 'missing libcudnn.so.8 (cuDNN 8)', fix: 'put them in a folder' }] },
    });
    expect(fellBack).toContain('  backend                        tensorflow (tensorflow from @tensorflow/tfjs-node, chosen by auto)\n');
    expect(fellBack).toContain('  fallback                       backend auto chose tensorflow (@tensorflow/tfjs-node), not gpu: missing libcudnn.so.8');
    expect(fellBack).toContain('  gpu status                     not used: missing libcudnn.so.8 (cuDNN 8); fix: put them in a folder\n');
    const onGpu = formatDiagnostics({
      ...base,
      engine: { ...base.engine, requested: 'auto', choice: 'gpu', backend: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', binding: '@tensorflow/tfjs-node-gpu', device: rtx, error: null, threads: 16 },
    });
    expect(onGpu).toContain('  tensorflow binding             @tensorflow/tfjs-node-gpu\n');
    expect(onGpu).toContain('  device                         NVIDIA GeForce RTX 3090, 20.0 GiB free of 24.0 GiB\n');
    expect(onGpu).toContain('  gpu status                     in use (NVIDIA GeForce RTX 3090)\n');
    expect(onGpu).not.toContain('fallback');
  });
});
