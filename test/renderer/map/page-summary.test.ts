import { describe, expect, it } from 'vitest';
import type { ContextExample, FeaturePage } from '../../../src-shared/api.js';
import { summarizePage } from '../../../src-renderer/src/components/map/page-summary.js';

function example(tokens: string[], maxIndex: number): ContextExample {
  return { tokens: tokens.map((_, i) => i), tokenStrings: tokens, acts: tokens.map((_, i) => (i === maxIndex ? 1 : 0)), maxIndex };
}

const page: FeaturePage = {
  id: { model: 'tiny', sae: 'fam/8', latent: 2 },
  density: 0.03,
  maxAct: 4.5,
  meanAct: 1.2,
  top: [example(['a', '·the', 'cat'], 1), example(['·the', 'dog'], 0), example(['x', 'y', '↵'], 2), example(['sat'], 0)],
  quantiles: [],
  activationHistogram: null,
  logitsPos: [
    { id: 1, token: '·cats', value: 0.9 },
    { id: 2, token: '·dogs', value: 0.8 },
    { id: 3, token: '·pets', value: 0.7 },
  ],
  logitsNeg: [],
  neighbors: [],
  relatives: [],
  mapPoint: null,
};

describe('summarizePage', () => {
  it('takes the max token of each top context in order, without repeats, and the top positive logits', () => {
    expect(summarizePage(page, 2)).toEqual({ topTokens: ['·the', '↵'], logits: ['·cats', '·dogs'], density: 0.03, maxAct: 4.5 });
    expect(summarizePage(page).topTokens).toEqual(['·the', '↵', 'sat']);
  });
});
