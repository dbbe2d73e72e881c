import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { collectDiagnostics, formatDiagnostics, type Diagnostics } from '../../../src-main/engine/doctor.js';
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
    if (d.engine.backend === 'wasm') {
      expect(d.engine.threads).toBe(1);
      expect(typeof d.engine.wasmSimd).toBe('boolean');
    } else {
      expect(d.engine.threads).toBeGreaterThanOrEqual(1);
    }
    expect(d.engine.tfjsVersion).toBe(require('@tensorflow/tfjs/package.json').version);
    expect(d.packages['@tensorflow/tfjs-backend-wasm']).toBe(require('@tensorflow/tfjs-backend-wasm/package.json').version);
    expect(Object.keys(d.cuda.libraries)).toEqual([...CUDA_LIBRARIES]);
    expect(d.cpu.cores).toBe(cpus().length);
    expect(d.memory.totalBytes).toBeGreaterThan(d.memory.freeBytes);
    expect(d.runtime.node).toBe(process.versions.node);
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
  const base: Diagnostics = {
    engine: { backend: null, package: null, error: 'backend "gpu" cannot run: libcudnn.so.8 not found', threads: null, wasmSimd: null, tfjsVersion: '4.22.0' },
    packages: { '@tensorflow/tfjs-node-gpu': '4.22.0', '@tensorflow/tfjs-node': null },
    gpus: ['NVIDIA GeForce RTX 3090, 24576 MiB, 535.54'],
    cuda: { libraries: { 'libcudart.so.11.0': '/usr/local/cuda/lib64/libcudart.so.11.0', 'libcudnn.so.8': null }, problems: ['libcudnn.so.8 not found (install cuDNN 8.1)'] },
    cpu: { model: 'Ryzen 9', cores: 16, parallelism: 16 },
    memory: { totalBytes: 64 * 2 ** 30, freeBytes: 32 * 2 ** 30, rssBytes: 2 ** 28, heapUsedBytes: 2 ** 27, heapLimitBytes: 4 * 2 ** 30, tensors: 3, tensorBytes: 1024 },
    runtime: { node: '20.20.0', electron: null, platform: 'linux', arch: 'x64', osRelease: '6.1' },
    hub: { cacheDir: '/home/u/.cache/huggingface/hub', endpoint: 'https://huggingface.co', offline: false, tokenSet: false },
  };

  it('shows a failed start, the GPU, the missing CUDA library and what to install', () => {
    const text = formatDiagnostics(base);
    expect(text).toContain('  backend                        failed: backend "gpu" cannot run: libcudnn.so.8 not found\n');
    expect(text).toContain('  gpu                            NVIDIA GeForce RTX 3090, 24576 MiB, 535.54\n');
    expect(text).toContain('  gpu status                     cannot use the GPU: libcudnn.so.8 not found (install cuDNN 8.1)\n');
    expect(text).toContain('  libcudnn.so.8                  missing\n');
    expect(text).toContain('  libcudart.so.11.0              /usr/local/cuda/lib64/libcudart.so.11.0\n');
    expect(text).toContain('  cuda                           for --backend gpu install CUDA 11.2 and cuDNN 8.1');
    expect(text).toContain('  @tensorflow/tfjs-node          not installed\n');
    expect(text).toContain('  system                         32.0 GiB free of 64.0 GiB\n');
    expect(text).toContain('  offline                        no\n');
  });

  it('tells a user with a GPU but no tfjs-node-gpu what to install', () => {
    const text = formatDiagnostics({ ...base, packages: { '@tensorflow/tfjs-node-gpu': null } });
    expect(text).toContain('GPU found but @tensorflow/tfjs-node-gpu is not installed (npm install @tensorflow/tfjs-node-gpu');
  });
});
