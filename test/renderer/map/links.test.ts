import { describe, expect, it } from 'vitest';
import type { FeatureMapColumns } from '../../../src-shared/feature-map.js';
import { buildLinks } from '../../../src-renderer/src/components/map/links.js';
import { buildMapPoints } from '../../../src-renderer/src/components/map/map-points.js';
import { PointLookup } from '../../../src-renderer/src/components/map/point-lookup.js';

// Three sizes; the selected latent lives in the middle one, so it has a parent and children.
const map: FeatureMapColumns = {
  family: 'fam',
  basis: 'decoder',
  bases: ['decoder'],
  saes: ['fam/16', 'fam/4', 'fam/8'],
  sizes: [16, 4, 8],
  sae: Uint16Array.of(1, 2, 0, 0),
  latent: Int32Array.of(3, 5, 9, 12),
  x: Float32Array.of(0, 1, 2, 3),
  y: Float32Array.of(0, 0, 1, 1),
  z: Float32Array.of(0, 1, 0, 1),
};

describe('buildLinks', () => {
  const points = buildMapPoints(map, () => [1, 1, 1]);
  const lookup = new PointLookup(map);
  const selected = 1; // fam/8 #5

  it('calls relatives in smaller sizes parents and in larger sizes children, parents first', () => {
    const { links } = buildLinks(map, lookup, points.positions3, selected, [
      { sae: 'fam/16', latent: 12, cosine: 0.7 },
      { sae: 'fam/4', latent: 3, cosine: 0.9 },
      { sae: 'fam/16', latent: 9, cosine: 0.8 },
    ]);
    expect(links.map((l) => [l.relation, l.size, l.sae, l.latent, l.point])).toEqual([
      ['parent', 4, 'fam/4', 3, 0],
      ['child', 16, 'fam/16', 9, 2],
      ['child', 16, 'fam/16', 12, 3],
    ]);
  });

  it('draws one segment from the selected point to each relative on the map', () => {
    const { segments, segmentLinks, segmentCosines } = buildLinks(map, lookup, points.positions3, selected, [
      { sae: 'fam/4', latent: 3, cosine: 0.9 },
      { sae: 'fam/16', latent: 12, cosine: 0.7 },
    ]);
    const at = (i: number) => Array.from(points.positions3.subarray(3 * i, 3 * i + 3));
    expect(Array.from(segmentLinks)).toEqual([0, 1]);
    expect(Array.from(segmentCosines)).toEqual([Math.fround(0.9), Math.fround(0.7)]);
    expect(Array.from(segments)).toEqual([...at(1), ...at(0), ...at(1), ...at(3)]);
  });

  it('lists relatives without a point (other family, not in the UMAP) but draws no segment for them', () => {
    const { links, segments } = buildLinks(map, lookup, points.positions2, selected, [
      { sae: 'other/32', latent: 1, cosine: 0.95 },
      { sae: 'fam/16', latent: 0, cosine: 0.5 },
    ]);
    expect(links.map((l) => [l.relation, l.size, l.point])).toEqual([
      ['child', 16, -1],
      ['sibling', null, -1],
    ]);
    expect(segments.length).toBe(0);
  });
});
