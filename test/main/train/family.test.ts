// How a family's sizes start: independently by default, from one shared stream only when asked.
import { describe, expect, it } from 'vitest';
import { initialParams } from '../../../src-main/sae/init.js';
import { validateTrainRunConfig } from '../../../src-main/train/config.js';
import { saeConfigFor } from '../../../src-main/train/family.js';

const dIn = 64;
const small = 128;
const large = 512;

function decoders(sharedInit: boolean): { a: Float32Array; b: Float32Array } {
  const run = validateTrainRunConfig({ model: 'gpt2', hook: 'blocks.0.hook_resid_post', tokens: 4096, out: '/tmp/unused', latents: [small, large], sharedInit });
  return { a: initialParams(saeConfigFor(run, dIn, small)).W_dec, b: initialParams(saeConfigFor(run, dIn, large)).W_dec };
}

/** Mean |cos| between row i of `a` and row pair(i) of `b`, over the rows of `a` (rows are unit-norm). */
function meanAbsCos(a: Float32Array, b: Float32Array, pair: (i: number) => number): number {
  let sum = 0;
  for (let i = 0; i < small; i++) {
    let dot = 0;
    for (let c = 0; c < dIn; c++) dot += a[i * dIn + c] * b[pair(i) * dIn + c];
    sum += Math.abs(dot);
  }
  return sum / small;
}

describe('family initialisation', () => {
  it('gives each size its own random stream: row i of two sizes is no closer than unrelated rows', () => {
    const { a, b } = decoders(false);
    const sameIndex = meanAbsCos(a, b, (i) => i);
    const unrelated = meanAbsCos(a, b, (i) => small + ((i * 7) % (large - small)));
    // Random unit vectors in 64 dimensions: E|cos| = Γ(32)/(√π Γ(32.5)) ≈ 0.099; each mean over 128
    // pairs has a standard deviation near 0.0066.
    console.log(`mean |cos| of row i across sizes: ${sameIndex.toFixed(4)}; unrelated rows ${unrelated.toFixed(4)}`);
    expect(Math.abs(sameIndex - unrelated)).toBeLessThan(0.03);
    expect(sameIndex).toBeLessThan(0.13);
  });

  it('shares the stream only with sharedInit, where a larger size starts with the smaller one\'s rows', () => {
    const { a, b } = decoders(true);
    expect(b.subarray(0, small * dIn)).toEqual(a);
    expect(meanAbsCos(a, b, (i) => i)).toBeCloseTo(1, 5);
  });
});
