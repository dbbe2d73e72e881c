// A small decoded feature map by hand: a family of sizes 4 and 8 whose points sit at known coordinates.
// The first SAE listed is the larger one, so anything ordered by size must read `sizes`.
import type { FeatureMapColumns } from '../../../src-shared/feature-map.js';

export function smallMap(): FeatureMapColumns {
  const latent = [0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7];
  return {
    family: 'fam',
    basis: 'decoder',
    bases: ['decoder'],
    saes: ['fam/8', 'fam/4'],
    sizes: [8, 4],
    sae: Uint16Array.of(1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
    latent: Int32Array.from(latent),
    x: Float32Array.from(latent, (_, i) => i * 2 - 10),
    y: Float32Array.from(latent, (_, i) => (i % 3) * 4 + 1),
    z: Float32Array.from(latent, (_, i) => (i % 2) * 6 - 3),
  };
}
