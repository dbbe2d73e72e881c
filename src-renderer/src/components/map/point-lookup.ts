// From a feature's (sae, latent) to its point on the map, in O(1): one Int32Array per SAE indexed
// by latent, built once per map. Search hits and feature-splitting links arrive as FeatureIds.
import type { FeatureMapColumns } from '../../../../src-shared/feature-map.js';

export class PointLookup {
  private readonly saeIndex = new Map<string, number>();
  private readonly byLatent: Int32Array[];

  constructor(map: FeatureMapColumns) {
    map.saes.forEach((id, s) => this.saeIndex.set(id, s));
    const width = map.sizes.map((size) => size);
    for (let i = 0; i < map.latent.length; i++) width[map.sae[i]!] = Math.max(width[map.sae[i]!]!, map.latent[i]! + 1);
    this.byLatent = width.map((w) => new Int32Array(w).fill(-1));
    for (let i = 0; i < map.latent.length; i++) this.byLatent[map.sae[i]!]![map.latent[i]!] = i;
  }

  /** Index into `saes`, or -1 when the SAE is not on this map. */
  saeIndexOf(sae: string): number {
    return this.saeIndex.get(sae) ?? -1;
  }

  /** Point index of (sae, latent), or -1 when that latent has no point (not on this map). */
  pointOf(sae: string, latent: number): number {
    const s = this.saeIndexOf(sae);
    if (s < 0) return -1;
    return this.byLatent[s]![latent] ?? -1;
  }
}
