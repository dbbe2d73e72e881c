import { afterAll, describe, expect, it } from 'vitest';
import { attentionPatterns, headScores } from '../../../src-main/circuits/attention.js';
import { buildModel, randomTokens, randomWeights, relativeMaxDiff, testConfig } from '../model/fixtures.js';
import { referenceForward } from '../model/reference.js';
import { PLANTED_CONFIG, plantedInductionWeights } from './planted-induction.js';

const config = testConfig({ nLayer: 3 });
const weights = randomWeights(config, 21);
const model = buildModel(config, weights);
const planted = buildModel(PLANTED_CONFIG, plantedInductionWeights());
afterAll(() => {
  model.dispose();
  planted.dispose();
});

/** [layer][head] of the largest score. */
function best(scores: number[][]): [number, number] {
  let at: [number, number] = [0, 0];
  scores.forEach((row, l) => row.forEach((v, h) => v > scores[at[0]]![at[1]]! && (at = [l, h])));
  return at;
}

describe('attentionPatterns', () => {
  it('has rows that sum to 1, zero above the diagonal, and matches the plain-loop reference', () => {
    const ids = randomTokens(1, 11, config.vocabSize, 4)[0]!;
    const patterns = attentionPatterns(model, ids);
    const reference = referenceForward(config, weights, [ids]);
    expect(patterns).toHaveLength(3);
    patterns.forEach((layer, l) => {
      expect(layer).toHaveLength(config.nHead);
      for (const head of layer) {
        head.forEach((row, q) => {
          expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
          expect(row.slice(q + 1).every((v) => v === 0)).toBe(true);
        });
      }
      const expected = reference.hooks.get(`blocks.${l}.attn.hook_pattern`)!.data;
      const { relative } = relativeMaxDiff(layer.flat(2), expected);
      expect(relative, `layer ${l}`).toBeLessThan(1e-4);
    });
    // Layer 2 alone: layers 0 and 1 then run the fused attention kernel on wasm, which rounds differently from the tfjs ops a watched pattern takes.
    expect(relativeMaxDiff(attentionPatterns(model, ids, [2])[0]!.flat(2), patterns[2]!.flat(2)).relative).toBeLessThan(1e-5);
  });

  it('refuses a layer the model does not have', () => {
    expect(() => attentionPatterns(model, [1, 2], [3])).toThrow("layer 3 is outside the model's layers 0..2");
  });
});

describe('headScores', () => {
  it('finds the planted induction head and the previous-token head that feeds it', () => {
    const prompt = [19, 3, 7, 1, 12, 5, 3, 8];
    const scores = headScores(planted, prompt, { seed: 1 });
    expect(scores.inductionLength).toBe(15);
    expect(best(scores.induction)).toEqual([1, 0]);
    expect(scores.induction[1]![0]).toBeGreaterThan(0.5);
    expect(best(scores.previousToken)).toEqual([0, 0]);
    expect(scores.previousToken[0]![0]).toBeGreaterThan(0.99);
    // Zero-weight heads attend uniformly: to BOS with weight 1/(q+1), the mean of which over q = 1..7 is 0.26.
    expect(scores.bos[0]![1]).toBeCloseTo([2, 3, 4, 5, 6, 7, 8].reduce((a, n) => a + 1 / n, 0) / 7, 5);
    // The random model has no induction head: every score stays far below the planted one's.
    const random = headScores(model, randomTokens(1, 8, config.vocabSize, 2)[0]!, { seed: 1 });
    expect(Math.max(...random.induction.flat())).toBeLessThan(scores.induction[1]![0]! / 2);
  });

  it('refuses an induction sequence that does not fit the context', () => {
    expect(() => headScores(planted, [19, 3], { inductionLength: 16 })).toThrow('inductionLength must be an integer in 2..15 (BOS + twice it must fit the context of 32), got 16');
    expect(() => headScores(planted, [19])).toThrow('head scores need a prompt of at least 2 tokens, got 1');
  });
});
