// Where the top-k step stays on the device (one shard off wasm), the training memory check counts the
// step's temporaries of the largest size: on a 24 GiB GPU, 16k + 64k + 256k + 512k passes without
// them and runs out with them.
import { describe, expect, it } from 'vitest';
import { parseGpt2Config } from '../../../src-main/model/config.js';
import { validateTrainRunConfig } from '../../../src-main/train/config.js';
import { checkRunMemory, estimateTrainMemory, type TrainMemoryRequest } from '../../../src-main/train/memory.js';

const GPT2_SMALL = parseGpt2Config({ n_layer: 12, n_embd: 768, n_head: 12, n_positions: 1024, vocab_size: 50257 }, 'gpt2 config');
const GIB = 2 ** 30;
const RTX_3090 = { systemBytes: 64 * GIB, instanceBytes: 23.5 * GIB, instanceName: 'the free memory of NVIDIA GeForce RTX 3090' };

describe('training memory with the step on the device', () => {
  it('adds ten d × n matrices of the largest size, once for the family', () => {
    const request: TrainMemoryRequest = { dIn: 768, sizes: [16_384, 262_144], arch: 'topk', k: 32, batch: 4096, multiTopK: false, bufferBatches: 8, shards: 1, model: GPT2_SMALL };
    const host = estimateTrainMemory(request);
    const device = estimateTrainMemory({ ...request, stepOnDevice: true });
    expect(host.stepTemporaries).toBe(0);
    expect(device.stepTemporaries).toBe(10 * 4 * 768 * 262_144);
    expect(device.total).toBe(host.total + device.stepTemporaries);
    expect(device.largestInstance).toBe(device.total);
  });

  it('refuses on the GPU a family that fits the estimate without them, and lets the same run through on wasm\'s terms', () => {
    const config = validateTrainRunConfig({ model: 'gpt2', hook: 'blocks.8.hook_resid_pre', tokens: 4096, out: '/tmp/unused', latents: [16_384, 65_536, 262_144, 524_288] });
    const sizes = [16_384, 65_536, 262_144, 524_288];
    expect(checkRunMemory(config, GPT2_SMALL, 768, sizes, RTX_3090, 'wasm').total / GIB).toBeCloseTo(21.37, 2);
    expect(() => checkRunMemory(config, GPT2_SMALL, 768, sizes, RTX_3090, 'tensorflow')).toThrow(
      /^training needs about 36\.37 GiB in one tensor instance \(.*, step temporaries on the device 15\.00 GiB\), but the free memory of NVIDIA GeForce RTX 3090 holds at most 23\.50 GiB/,
    );
    // 16k + 64k + 256k fits with them.
    expect(checkRunMemory(config, GPT2_SMALL, 768, sizes.slice(0, 3), RTX_3090, 'tensorflow').total / GIB).toBeCloseTo(16.63, 2);
  });
});
