import { describe, expect, it } from 'vitest';
import { PointLookup } from '../../../src-renderer/src/components/map/point-lookup.js';
import { smallMap } from './fixtures.js';

describe('PointLookup', () => {
  it('finds the point of every (sae, latent) on the map', () => {
    const map = smallMap();
    const lookup = new PointLookup(map);
    for (let i = 0; i < map.latent.length; i++) expect(lookup.pointOf(map.saes[map.sae[i]!]!, map.latent[i]!)).toBe(i);
  });

  it('answers -1 for SAEs and latents that have no point', () => {
    const lookup = new PointLookup(smallMap());
    expect(lookup.pointOf('other/16', 0)).toBe(-1);
    expect(lookup.pointOf('fam/4', 4)).toBe(-1);
    expect(lookup.saeIndexOf('fam/4')).toBe(1);
  });
});
