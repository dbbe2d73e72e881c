// Which points a search lights up: features.search answers FeatureIds across the whole database,
// and only the hits of this model and family have a point here.
import type { FeatureSearchHit } from '../../../../src-shared/api.js';
import type { PointLookup } from './point-lookup.js';

export interface SearchMatch {
  hit: FeatureSearchHit;
  /** Point of the hit on this map. */
  point: number;
}

export function matchSearchHits(hits: FeatureSearchHit[], model: string, lookup: PointLookup): SearchMatch[] {
  const matches: SearchMatch[] = [];
  const seen = new Set<number>();
  for (const hit of hits) {
    if (hit.id.model !== model) continue;
    const point = lookup.pointOf(hit.id.sae, hit.id.latent);
    if (point < 0 || seen.has(point)) continue;
    seen.add(point);
    matches.push({ hit, point });
  }
  return matches;
}

/** One 0/1 flag per point, for dimmedColors. */
export function highlightFlags(count: number, matches: SearchMatch[]): Uint8Array {
  const flags = new Uint8Array(count);
  for (const m of matches) flags[m.point] = 1;
  return flags;
}
