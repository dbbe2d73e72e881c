import { describe, expect, it } from 'vitest';
import { buildMapPoints, checkFeatureMap, dimmedColors, hexToRgb, sizeRanks } from '../../../src-renderer/src/components/map/map-points.js';
import { smallMap } from './fixtures.js';

const RED: [number, number, number] = [1, 0, 0];
const BLUE: [number, number, number] = [0, 0, 1];

describe('buildMapPoints', () => {
  it('centres the map and scales its largest axis to [-1, 1], keeping aspect ratios', () => {
    const map = smallMap();
    const points = buildMapPoints(map, (s) => (s === 0 ? RED : BLUE));
    expect(points.count).toBe(12);
    // x spans -10..12 (the largest axis, half-extent 11, centre 1); y spans 1..9 (centre 5); z -3..3.
    expect(points.positions3[0]).toBeCloseTo(-1, 6);
    expect(points.positions3[3 * 11]).toBeCloseTo(1, 6);
    expect(points.positions3[1]).toBeCloseTo((1 - 5) / 11, 6);
    expect(points.positions3[2]).toBeCloseTo(-3 / 11, 6);
    expect(points.positions3[3 * 1 + 2]).toBeCloseTo(3 / 11, 6);
  });

  it('gives the 2-D view the same x, y with z = 0', () => {
    const points = buildMapPoints(smallMap(), () => RED);
    for (let i = 0; i < points.count; i++) {
      expect(points.positions2[3 * i]).toBe(points.positions3[3 * i]);
      expect(points.positions2[3 * i + 1]).toBe(points.positions3[3 * i + 1]);
      expect(points.positions2[3 * i + 2]).toBe(0);
    }
  });

  it('colours every point by its SAE', () => {
    const map = smallMap();
    const points = buildMapPoints(map, (s) => (s === 0 ? RED : BLUE));
    for (let i = 0; i < points.count; i++) expect(Array.from(points.colors.subarray(3 * i, 3 * i + 3))).toEqual(map.sae[i] === 0 ? RED : BLUE);
  });

  it('puts a map whose points all coincide at the origin instead of dividing by zero', () => {
    const map = { ...smallMap(), x: new Float32Array(12).fill(3), y: new Float32Array(12).fill(3), z: new Float32Array(12).fill(3) };
    const points = buildMapPoints(map, () => RED);
    expect(Array.from(points.positions3).every((v) => v === 0)).toBe(true);
  });

  it('refuses columns of different lengths and SAE indices outside saes', () => {
    expect(() => checkFeatureMap({ ...smallMap(), y: Float32Array.of(1, 2) })).toThrow('features.map "fam": column y has 2 entries, latent has 12; all columns must be equal');
    const bad = smallMap();
    bad.sae[5] = 2;
    expect(() => checkFeatureMap(bad)).toThrow('sae[5] = 2, expected an index into saes (0..1)');
  });
});

describe('colours', () => {
  it('reads #rrggbb and refuses anything else', () => {
    expect(hexToRgb('#ff8000')).toEqual([1, 128 / 255, 0]);
    expect(() => hexToRgb('orange')).toThrow('colour "orange" is not a #rrggbb hex colour');
  });

  it('fades points outside the highlight towards the background and keeps the rest', () => {
    const colors = new Float32Array([1, 1, 1, 0, 1, 0]);
    const out = new Float32Array(6);
    dimmedColors(colors, new Uint8Array([0, 1]), [0, 0, 0.5], 0.25, out);
    expect(Array.from(out)).toEqual([0.25, 0.25, 0.625, 0, 1, 0]);
    dimmedColors(colors, null, [0, 0, 0.5], 0.25, out);
    expect(Array.from(out)).toEqual([1, 1, 1, 0, 1, 0]);
  });
});

describe('sizeRanks', () => {
  it('ranks SAEs by dictionary size whatever order the map lists them in', () => {
    expect(sizeRanks([8, 4])).toEqual([1, 0]);
    expect(sizeRanks([1024, 256, 4096, 512])).toEqual([2, 0, 3, 1]);
  });
});
