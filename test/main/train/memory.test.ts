// The training memory estimate against hand-computed figures, and its check: refused with what the
// run needs and what the budget holds, before the trainer allocates anything.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGpt2Config } from '../../../src-main/model/config.js';
import { checkTrainMemory, estimateTrainMemory, WASM_HEAP_BYTES, type TrainMemoryRequest } from '../../../src-main/train/memory.js';
import { trainFamily } from '../../../src-main/train/trainer.js';
import { runConfig, tempOut } from './fixture.js';

const GPT2_SMALL = parseGpt2Config({ n_layer: 12, n_embd: 768, n_head: 12, n_positions: 1024, vocab_size: 50257 }, 'gpt2 config');
/** GPT-2 small's parameter count (tied unembedding), as PyTorch counts it. */
const GPT2_SMALL_PARAMS = 124_439_808;

const REQUEST: TrainMemoryRequest = { dIn: 768, sizes: [16_384], arch: 'topk', k: 32, batch: 4096, multiTopK: false, bufferBatches: 8, shards: 1, model: GPT2_SMALL };
const GIB = 2 ** 30;

describe('estimateTrainMemory', () => {
  it('counts parameters, Adam moments, gradients and step buffers per size, and the model and buffer once', () => {
    const estimate = estimateTrainMemory(REQUEST);
    const p = 2 * 768 * 16_384 + 16_384 + 768;
    // Dense pre-activations come in row blocks of 2^24 / 16384 = 1024 tokens, twice (AuxK);
    // codes are k + AuxK (768 / 2) wide; eight [batch, d] blocks.
    const activations = 2 * 1024 * 16_384 * 4 + 4096 * (32 + 384) * 8 + 8 * 4096 * 768 * 4;
    expect(estimate.perSae).toEqual([{ dSae: 16_384, parameters: 4 * p, adam: 8 * p, gradients: 4 * p, activations, total: 16 * p + activations }]);
    expect(estimate.shared).toBe(4 * GPT2_SMALL_PARAMS + 8 * 4096 * 768 * 4);
    expect(estimate.total).toBe(estimate.shared + 16 * p + activations);
    expect(estimate.largestInstance).toBe(estimate.total);
  });

  it('spreads an SAE over worker instances with shards, and keeps the standard SAE dense', () => {
    const big = { ...REQUEST, sizes: [1 << 20] };
    const sharded = estimateTrainMemory({ ...big, shards: 4 });
    expect(sharded.total).toBe(estimateTrainMemory(big).total);
    expect(sharded.largestInstance).toBe(Math.ceil(sharded.perSae[0]!.total / 4));
    const relu = estimateTrainMemory({ ...REQUEST, arch: 'relu' }).perSae[0]!;
    const p = 2 * 768 * 16_384 + 16_384 + 768;
    expect(relu.gradients).toBe(4 * (2 * p + 768 * 16_384));
  });

  it('counts a copy of the weights per model thread and the fill computed ahead, outside this thread\'s instance', () => {
    const one = estimateTrainMemory(REQUEST);
    const pooled = estimateTrainMemory({ ...REQUEST, modelThreads: 2 });
    expect(pooled.shared - one.shared).toBe(2 * 4 * GPT2_SMALL_PARAMS + 8 * 4096 * 768 * 4);
    expect(pooled.total - one.total).toBe(pooled.shared - one.shared);
    expect(pooled.largestInstance).toBe(one.largestInstance);
  });
});

describe('checkTrainMemory', () => {
  it('refuses what the machine cannot hold, with both figures', () => {
    const need = estimateTrainMemory(REQUEST).total;
    expect(need / GIB).toBeCloseTo(1.164, 3);
    expect(() => checkTrainMemory(REQUEST, { systemBytes: GIB, instanceBytes: null, instanceName: 'x' })).toThrow(
      'training needs about 1.16 GiB (16384 latents 0.61 GiB, model and buffer 0.56 GiB), but this machine has 1.00 GiB; train fewer or smaller sizes, or a smaller batch',
    );
    expect(checkTrainMemory(REQUEST, { systemBytes: 8 * GIB, instanceBytes: WASM_HEAP_BYTES, instanceName: 'the wasm heap of one instance' }).total).toBe(need);
  });

  it('refuses what one wasm instance cannot hold even where the system could', () => {
    const big = { ...REQUEST, sizes: [1 << 20] };
    expect(() => checkTrainMemory(big, { systemBytes: 1024 * GIB, instanceBytes: WASM_HEAP_BYTES, instanceName: 'the wasm heap of one instance' })).toThrow(
      'training needs about 24.80 GiB in one tensor instance (1048576 latents 24.25 GiB, model and buffer 0.56 GiB), but the wasm heap of one instance holds at most 4.00 GiB; train fewer or smaller sizes, or a smaller batch, or split each SAE over worker threads (shards)',
    );
    // A device's memory plugs in as the instance budget.
    expect(() => checkTrainMemory(REQUEST, { systemBytes: 1024 * GIB, instanceBytes: GIB, instanceName: 'GPU 0' })).toThrow(/but GPU 0 holds at most 1\.00 GiB/);
  });

  it('runs in the trainer before anything is written, with the budget it is given', async () => {
    const out = tempOut();
    await expect(trainFamily(runConfig(out, { latents: [64, 128] }), { memoryBudget: { systemBytes: 1024, instanceBytes: null, instanceName: 'x' } })).rejects.toThrow(
      /^training needs about 0\.\d\d GiB \(64 latents 0\.00 GiB, 128 latents 0\.00 GiB, model and buffer 0\.\d\d GiB\), but this machine has 0\.00 GiB/,
    );
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });
});
