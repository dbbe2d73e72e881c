import { describe, expect, it } from 'vitest';
import { fileStem, mapCsv } from '../../../src-renderer/src/lib/export.js';

describe('exports', () => {
  it('writes a family UMAP as one CSV row per latent, naming its SAE and size', () => {
    const csv = mapCsv({ family: 'fam', basis: 'decoder', bases: ['decoder'], saes: ['fam/16', 'fam/64'], sizes: [16, 64], sae: Uint16Array.of(0, 1, 1), latent: Int32Array.of(3, 0, 63), x: Float32Array.of(0.5, -1, 2), y: Float32Array.of(1, 2, 3), z: Float32Array.of(0, 0.25, -0.5) });
    expect(csv).toBe('sae,d_sae,latent,x,y,z\nfam/16,16,3,0.5,1,0\nfam/64,64,0,-1,2,0.25\nfam/64,64,63,2,3,-0.5\n');
  });

  it('makes file names from ids without their slashes', () => {
    expect(fileStem('fam/4096', 12)).toBe('fam-4096-12');
    expect(fileStem('my fam', 'umap')).toBe('my-fam-umap');
  });
});
