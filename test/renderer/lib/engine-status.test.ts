import { describe, expect, it } from 'vitest';
import type { EngineReport } from '../../../src-shared/api.js';
import { summarizeEngine } from '../../../src-renderer/src/lib/engine-status.js';

const wasm: EngineReport = {
  requested: 'auto', choice: 'wasm', backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm', binding: null, device: null,
  skipped: [], notice: null, error: null, threads: 1, wasmSimd: true, tfjsVersion: '4.22.0',
};

describe('summarizeEngine', () => {
  it('names the device and its memory on the GPU', () => {
    const gpu: EngineReport = {
      ...wasm, choice: 'gpu', backend: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', binding: '@tensorflow/tfjs-node-gpu', threads: 16,
      device: { id: '0', uuid: 'GPU-1', name: 'NVIDIA GeForce RTX 3090', driver: '535', memory: { totalBytes: 24 * 2 ** 30, freeBytes: 20 * 2 ** 30 } },
    };
    expect(summarizeEngine(gpu)).toEqual({ text: 'gpu · NVIDIA GeForce RTX 3090 · 20.0 GB free of 24.0 GB · 16 threads', warning: null, detail: null });
  });

  it('carries why auto passed over better backends, warning only of what can be fixed', () => {
    const fellBack = { ...wasm, skipped: [{ backend: 'gpu' as const, reason: 'missing libcudnn.so.8 (cuDNN 8)', fix: 'x' }, { backend: 'tensorflow' as const, reason: '@tensorflow/tfjs-node is not installed', fix: 'y' }] };
    const both = 'not gpu: missing libcudnn.so.8 (cuDNN 8); not tensorflow: @tensorflow/tfjs-node is not installed';
    expect(summarizeEngine(fellBack)).toEqual({ text: 'wasm · 1 thread', warning: both, detail: both });
    const noGpu = { ...wasm, skipped: [{ backend: 'gpu' as const, reason: 'no NVIDIA GPU found', fix: null }] };
    expect(summarizeEngine(noGpu)).toEqual({ text: 'wasm · 1 thread', warning: null, detail: 'not gpu: no NVIDIA GPU found' });
  });

  it('says when the engine failed to start, with the reason', () => {
    const failed = { ...wasm, requested: 'gpu' as const, choice: null, backend: null, threads: null, error: 'backend "gpu" cannot run: no NVIDIA GPU found' };
    const error = 'backend "gpu" cannot run: no NVIDIA GPU found';
    expect(summarizeEngine(failed)).toEqual({ text: 'engine failed (gpu)', warning: error, detail: error });
  });
});
