import { describe, expect, it } from 'vitest';
import type { GpuDevice } from '../../../src-shared/api.js';
import { computeGpu, type GpuListing } from '../../../src-main/engine/nvidia.js';

const gpu = (id: string, uuid: string): GpuDevice => ({ id, uuid, name: `GPU ${id}`, driver: '535', memory: { totalBytes: 1, freeBytes: 1 } });
const two: GpuListing = { gpus: [gpu('0', 'GPU-aaaa-1111'), gpu('1', 'GPU-bbbb-2222')], problem: null };

describe('computeGpu', () => {
  it('is the first GPU, or the first CUDA_VISIBLE_DEVICES names by index or UUID prefix', () => {
    expect(computeGpu(two, {}).gpu?.id).toBe('0');
    expect(computeGpu(two, { CUDA_VISIBLE_DEVICES: '1,0' }).gpu?.id).toBe('1');
    expect(computeGpu(two, { CUDA_VISIBLE_DEVICES: 'GPU-bbbb' }).gpu?.id).toBe('1');
  });

  it('says when CUDA_VISIBLE_DEVICES hides every GPU, and passes on why none is listed', () => {
    expect(computeGpu(two, { CUDA_VISIBLE_DEVICES: '-1' })).toEqual({ gpu: null, problem: 'CUDA_VISIBLE_DEVICES="-1" hides every GPU (nvidia-smi lists 0, 1)' });
    expect(computeGpu(two, { CUDA_VISIBLE_DEVICES: '' }).gpu).toBeNull();
    expect(computeGpu({ gpus: [], problem: 'nvidia-smi lists no GPU' }, {})).toEqual({ gpu: null, problem: 'nvidia-smi lists no GPU' });
  });
});
