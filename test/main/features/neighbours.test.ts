import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decoderNeighbours } from '../../../src-main/features/neighbours.js';
import { seededRandom } from '../../../src-shared/random.js';

function randomRows(n: number, d: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n * d }, () => random() * 2 - 1);
}

// The same search on ONNX Runtime (where it runs GPT-2's forward, as here on wasm) and on tfjs.
describe.each(['onnx', 'tfjs'])('decoderNeighbours on %s', (runtime) => {
  beforeEach(() => {
    process.env.SAE_GPT2_RUNTIME = runtime;
  });
  afterEach(() => {
    delete process.env.SAE_GPT2_RUNTIME;
  });
  const d = 24;
  const large = randomRows(40, d, 1);
  const planted = [7, 2, 31, 18, 25];
  // The small SAE's directions are large-SAE directions, rescaled and slightly perturbed.
  const noise = randomRows(planted.length, d, 2);
  const small = new Float32Array(planted.length * d);
  planted.forEach((row, i) => {
    for (let j = 0; j < d; j++) small[i * d + j] = 3 * large[row * d + j] + 0.05 * noise[i * d + j];
  });

  it('finds each planted direction as the closest latent of the other size, both ways', async () => {
    const down = await decoderNeighbours(small, planted.length, large, 40, d, { k: 3, excludeSelf: false, block: 2 });
    expect(down.k).toBe(3);
    planted.forEach((row, i) => {
      expect(down.indices[i * 3]).toBe(row);
      expect(down.cosines[i * 3]).toBeGreaterThan(0.99);
      expect(down.cosines[i * 3 + 1]).toBeLessThan(0.9);
    });
    const up = await decoderNeighbours(large, 40, small, planted.length, d, { k: 1, excludeSelf: false });
    planted.forEach((row, i) => expect(up.indices[row]).toBe(i));
  });

  it('ranks within-SAE neighbours by cosine, excluding the latent itself, as brute force does', async () => {
    const n = 40;
    const table = await decoderNeighbours(large, n, large, n, d, { k: 4, excludeSelf: true, block: 7 });
    const cos = (a: number, b: number) => {
      let dot = 0, na = 0, nb = 0;
      for (let j = 0; j < d; j++) {
        dot += large[a * d + j] * large[b * d + j];
        na += large[a * d + j] ** 2;
        nb += large[b * d + j] ** 2;
      }
      return dot / Math.sqrt(na * nb);
    };
    for (let i = 0; i < n; i++) {
      const expected = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i).sort((a, b) => cos(i, b) - cos(i, a)).slice(0, 4);
      expect(Array.from(table.indices.subarray(i * 4, i * 4 + 4))).toEqual(expected);
      expect(table.cosines[i * 4]).toBeCloseTo(cos(i, expected[0]), 4);
    }
  });
});
