import { describe, expect, it } from 'vitest';
import type { FeatureSearchHit } from '../../../src-shared/api.js';
import { PointLookup } from '../../../src-renderer/src/components/map/point-lookup.js';
import { highlightFlags, matchSearchHits } from '../../../src-renderer/src/components/map/search-hits.js';
import { smallMap } from './fixtures.js';

function hit(model: string, sae: string, latent: number, matchedIn = 'top token'): FeatureSearchHit {
  return { id: { model, sae, latent }, matchedIn, summary: { latent, density: 0.1, maxAct: 2, topTokens: ['the'] } };
}

describe('matchSearchHits', () => {
  const lookup = new PointLookup(smallMap());

  it('keeps the hits of this model and family, once per point, in answer order', () => {
    const matches = matchSearchHits(
      [hit('tiny', 'fam/8', 7), hit('other', 'fam/8', 1), hit('tiny', 'otherfam/8', 2), hit('tiny', 'fam/4', 2), hit('tiny', 'fam/8', 7, 'logit +')],
      'tiny',
      lookup,
    );
    expect(matches.map((m) => m.point)).toEqual([11, 2]);
    expect(matches[0]!.hit.matchedIn).toBe('top token');
  });

  it('flags the matched points', () => {
    const flags = highlightFlags(12, matchSearchHits([hit('tiny', 'fam/4', 0), hit('tiny', 'fam/8', 0)], 'tiny', lookup));
    expect(Array.from(flags)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });
});
