import { describe, expect, it } from 'vitest';
import { ScreenGrid } from '../../../src-renderer/src/components/map/screen-grid.js';

/** The answer the grid must give, by looking at every point. */
function bruteNearest(screen: Float32Array, x: number, y: number, radius: number): number {
  let best = -1;
  let bestDistance = radius * radius;
  let bestDepth = Infinity;
  for (let i = 0; i < screen.length / 3; i++) {
    const dx = screen[3 * i]! - x;
    const dy = screen[3 * i + 1]! - y;
    const d = dx * dx + dy * dy;
    if (d < bestDistance || (d === bestDistance && screen[3 * i + 2]! < bestDepth)) {
      best = i;
      bestDistance = d;
      bestDepth = screen[3 * i + 2]!;
    }
  }
  return best;
}

/** Deterministic pseudo-random points (mulberry32) so a failure reproduces. */
function randomScreen(count: number, width: number, height: number, seed: number): Float32Array {
  let a = seed;
  const random = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const screen = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) screen.set([random() * width, random() * height, random() * 2 - 1], 3 * i);
  return screen;
}

describe('ScreenGrid', () => {
  it('finds the same nearest point as a scan of all points, across cell borders', () => {
    const screen = randomScreen(5000, 640, 480, 7);
    const grid = ScreenGrid.build(screen, 640, 480, 16);
    const probes = randomScreen(500, 640, 480, 11);
    let found = 0;
    for (let k = 0; k < 500; k++) {
      const x = probes[3 * k]!;
      const y = probes[3 * k + 1]!;
      const expected = bruteNearest(screen, x, y, 7);
      expect(grid.nearest(x, y, 7)).toBe(expected);
      if (expected >= 0) found++;
    }
    // Most probes land near a point at this density, so the comparison is not all misses.
    expect(found).toBeGreaterThan(400);
  });

  it('returns -1 when nothing is within the radius', () => {
    const grid = ScreenGrid.build(new Float32Array([10, 10, 0]), 100, 100, 16);
    expect(grid.nearest(10, 20, 9)).toBe(-1);
    expect(grid.nearest(10, 18, 9)).toBe(0);
  });

  it('prefers the point nearer the camera when two are drawn on the same pixel', () => {
    const grid = ScreenGrid.build(new Float32Array([50, 50, 0.8, 50, 50, 0.2, 50, 50, 0.5]), 100, 100, 16);
    expect(grid.nearest(51, 50, 5)).toBe(1);
  });

  it('leaves out points off the canvas or behind the camera (NaN)', () => {
    const grid = ScreenGrid.build(new Float32Array([-3, 5, 0, 5, 120, 0, NaN, NaN, NaN, 99, 99, 0]), 100, 100, 16);
    expect(grid.size).toBe(1);
    expect(grid.nearest(0, 5, 5)).toBe(-1);
    expect(grid.nearest(98, 98, 5)).toBe(3);
  });

  it('refuses a cell size that is not positive', () => {
    expect(() => ScreenGrid.build(new Float32Array(0), 10, 10, 0)).toThrow('ScreenGrid: cell must be a positive number of pixels, got 0');
  });
});
