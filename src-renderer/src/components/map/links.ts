// Feature-splitting links of the selected latent: its closest latents in the other dictionary sizes
// (features.page relatives). A relative in a smaller dictionary is the parent the latent split
// from; one in a larger dictionary is a child it splits into (Bricken et al. 2023).
import type { Neighbor } from '../../../../src-shared/api.js';
import type { FeatureMapColumns } from '../../../../src-shared/feature-map.js';
import type { PointLookup } from './point-lookup.js';

export type LinkRelation = 'parent' | 'child' | 'sibling';

export interface MapLink {
  sae: string;
  latent: number;
  cosine: number;
  /** d_sae of the relative's SAE, null when the SAE is not on this map. */
  size: number | null;
  relation: LinkRelation;
  /** The relative's point, -1 when it has none on this map (then no segment is drawn). */
  point: number;
}

export interface MapLinks {
  links: MapLink[];
  /** [segments * 6] from the selected point to each relative that has a point, in `positions` space. */
  segments: Float32Array;
  /** [segments] index into `links` of each drawn segment. */
  segmentLinks: Int32Array;
  /** [segments] decoder cosine of each drawn segment's link, for its brightness. */
  segmentCosines: Float32Array;
}

function relationOf(size: number | null, selectedSize: number): LinkRelation {
  if (size === null || size === selectedSize) return 'sibling';
  return size < selectedSize ? 'parent' : 'child';
}

/** Links of point `selected`, parents first (smallest size first), then by decreasing cosine. */
export function buildLinks(map: FeatureMapColumns, lookup: PointLookup, positions: Float32Array, selected: number, relatives: Neighbor[]): MapLinks {
  const selectedSize = map.sizes[map.sae[selected]!]!;
  const links = relatives.map((r): MapLink => {
    const s = lookup.saeIndexOf(r.sae);
    const size = s < 0 ? null : map.sizes[s]!;
    return { sae: r.sae, latent: r.latent, cosine: r.cosine, size, relation: relationOf(size, selectedSize), point: lookup.pointOf(r.sae, r.latent) };
  });
  links.sort((a, b) => (a.size ?? Infinity) - (b.size ?? Infinity) || b.cosine - a.cosine);
  const drawn = links.flatMap((link, k) => (link.point >= 0 ? [k] : []));
  const segments = new Float32Array(drawn.length * 6);
  drawn.forEach((k, j) => {
    segments.set(positions.subarray(3 * selected, 3 * selected + 3), 6 * j);
    segments.set(positions.subarray(3 * links[k]!.point, 3 * links[k]!.point + 3), 6 * j + 3);
  });
  return { links, segments, segmentLinks: Int32Array.from(drawn), segmentCosines: Float32Array.from(drawn, (k) => links[k]!.cosine) };
}
