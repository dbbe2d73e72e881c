import { describe, expect, it } from 'vitest';
import { decodeFeatureMap, encodeFeatureMap, type FeatureMapColumns } from '../../src-shared/feature-map.js';

function columns(): FeatureMapColumns {
  return {
    family: 'fam',
    basis: 'activation',
    bases: ['decoder', 'activation'],
    saes: ['fam/4', 'fam/8'],
    sizes: [4, 8],
    sae: Uint16Array.of(0, 1, 1),
    latent: Int32Array.of(3, 0, 7),
    x: Float32Array.of(0.5, -1.25, 3e-8),
    y: Float32Array.of(1, 2, -3),
    z: Float32Array.of(0, 0.1, -0.5),
  };
}

describe('the feature map on the wire', () => {
  it('survives JSON as base64 columns and decodes to the same typed arrays', () => {
    const wire = encodeFeatureMap(columns());
    expect(wire.count).toBe(3);
    expect(typeof wire.x).toBe('string');
    const back = decodeFeatureMap(JSON.parse(JSON.stringify(wire)));
    expect(back).toEqual(columns());
    expect(back.x).toBeInstanceOf(Float32Array);
    expect(back.sae).toBeInstanceOf(Uint16Array);
  });

  it('takes columns that are views into a larger buffer', () => {
    const backing = new Float32Array(10).fill(9);
    backing.set([4, 5, 6], 2);
    const wire = encodeFeatureMap({ ...columns(), x: backing.subarray(2, 5) });
    expect(Array.from(decodeFeatureMap(wire).x)).toEqual([4, 5, 6]);
  });

  it('takes well under half the text of the same columns as JSON numbers', () => {
    const n = 10_000;
    const big: FeatureMapColumns = {
      ...columns(),
      sae: new Uint16Array(n),
      latent: Int32Array.from({ length: n }, (_, i) => i),
      x: Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 7.3),
      y: Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 7.3),
      z: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 3) * 2.1),
    };
    const asNumbers = JSON.stringify({ sae: Array.from(big.sae), latent: Array.from(big.latent), x: Array.from(big.x), y: Array.from(big.y), z: Array.from(big.z) });
    const asBase64 = JSON.stringify(encodeFeatureMap(big));
    expect(asBase64.length).toBeLessThan(asNumbers.length / 2.5);
    expect(asBase64.length).toBeLessThan(n * 25);
  });

  it('refuses columns of different lengths, naming the column', () => {
    expect(() => encodeFeatureMap({ ...columns(), y: Float32Array.of(1, 2) })).toThrow('feature map "fam": column y has 2 entries, latent has 3; all columns must be equal');
  });

  it('refuses a column whose bytes do not match the count, or that is not base64', () => {
    const wire = encodeFeatureMap(columns());
    expect(() => decodeFeatureMap({ ...wire, count: 4 })).toThrow('feature map "fam": column sae has 6 bytes, expected 8 (4 points × 2)');
    expect(() => decodeFeatureMap({ ...wire, z: '%%%' })).toThrow(/feature map "fam": column z is not base64/);
    expect(() => decodeFeatureMap({ ...wire, count: -1 })).toThrow('feature map "fam": count is -1, expected a whole number of points');
  });
});
