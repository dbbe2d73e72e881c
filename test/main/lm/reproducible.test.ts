import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend.js';
import { trainLm } from '../../../src-main/lm/trainer.js';
import { lmConfig, tempOut } from './fixture.js';

beforeAll(async () => {
  await initEngine();
});

// `lm train`'s arithmetic on the tfjs path (attention as tfjs ops, the loss on tfjs) is pinned bit
// for bit: wasm computes the same bytes on every machine, so these hashes, taken from the trainer at
// cf4c991, catch any change to what that path writes for a given seed and command. The default path
// (the fused attention kernel and the loss on ONNX Runtime, whose MLAS kernels follow the CPU's
// instruction set) is held to this one within float rounding, and to its own bytes run after run, in
// parallel.test.ts.
const TFJS_PATH = { attention: 'ops', lossRuntime: 'tfjs' };
const MODEL_SHA256 = '949eb70052a2814bad78ed30523a46adf8f5333efa012d0c23adeced1d499b5c';

describe('lm train reproducibility', () => {
  it('writes the same model.safetensors bytes as the trainer at cf4c991', async () => {
    const out = tempOut();
    // Warm-up, cosine decay, clipping, decay, the corpus vocabulary and two held-out evaluations, in 20 steps.
    await trainLm(lmConfig(out, { tokens: 20 * 32 * 16, evalEvery: 10, logEvery: 5, ...TFJS_PATH }));
    const sha = createHash('sha256').update(readFileSync(join(out, 'model.safetensors'))).digest('hex');
    expect(sha).toBe(MODEL_SHA256);
  });

  // Every step's loss and gradient norm too, with both vocabularies and two layers, from the same
  // trainer (cf4c991): with threads 1, the default, the tfjs path's step is still that trainer's, bit for bit.
  it.each([
    {
      vocab: 'corpus',
      losses: [10.847132682800293, 10.050678253173828, 8.92598819732666, 8.139673233032227, 7.767850875854492, 7.4666643142700195],
      norms: [7.266221523284912, 6.462981700897217, 6.129695892333984, 6.248174667358398, 6.2825751304626465, 6.336122035980225],
      heldOut: 7.371396780014038,
      sha256: '63295c26d4ceebf4ff5c6339ce6ee90857bee8d4686f465f833c97ca126e55c6',
    },
    {
      vocab: 'full',
      losses: [10.836867332458496, 10.245796203613281, 9.609774589538574, 8.559835433959961, 8.18239688873291, 7.948460578918457],
      norms: [2.2717862129211426, 2.090391159057617, 2.237367868423462, 1.7081631422042847, 1.634993076324463, 1.7421640157699585],
      heldOut: 7.8306849002838135,
      sha256: '90a8f557b7bfaa4c94a6cabefa5c66fa7e6bb79e2132539e1be00b8f789bc9fc',
    },
  ])('reproduces the pinned losses and model bytes of a short run with the $vocab vocabulary (threads 1, the default)', async (pinned) => {
    const out = tempOut();
    const losses: number[] = [];
    const norms: number[] = [];
    const outcome = await trainLm(lmConfig(out, { layers: 2, batch: 8, tokens: 6 * 8 * 16, logEvery: 1, evalEvery: 0, checkpointEvery: 0, vocab: pinned.vocab, ...TFJS_PATH }), {
      onEvent: (e) => {
        if (e.type === 'progress') {
          losses.push(e.loss);
          norms.push(e.gradNorm);
        }
      },
    });
    expect(losses).toEqual(pinned.losses);
    expect(norms).toEqual(pinned.norms);
    expect(outcome.result!.heldOutLoss).toBe(pinned.heldOut);
    expect(createHash('sha256').update(readFileSync(join(out, 'model.safetensors'))).digest('hex')).toBe(pinned.sha256);
  });
});
