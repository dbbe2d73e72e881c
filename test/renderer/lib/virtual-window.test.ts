import { describe, expect, it } from 'vitest';
import { rowWindow, scrollToReveal } from '../../../src-renderer/src/lib/virtual-window.js';

describe('rowWindow', () => {
  it('renders only the rows in view plus the overscan', () => {
    expect(rowWindow({ total: 100_000, rowHeight: 20, scrollTop: 2000, viewportHeight: 200, overscan: 5 })).toEqual({
      start: 95,
      end: 116,
      padTop: 1900,
      totalHeight: 2_000_000,
    });
  });

  it('clamps at both ends and for lists shorter than the viewport', () => {
    expect(rowWindow({ total: 3, rowHeight: 20, scrollTop: 0, viewportHeight: 400, overscan: 10 })).toEqual({ start: 0, end: 3, padTop: 0, totalHeight: 60 });
    expect(rowWindow({ total: 50, rowHeight: 10, scrollTop: 10_000, viewportHeight: 100, overscan: 2 })).toEqual({ start: 50, end: 50, padTop: 500, totalHeight: 500 });
    expect(rowWindow({ total: 0, rowHeight: 10, scrollTop: -40, viewportHeight: 100, overscan: 2 })).toEqual({ start: 0, end: 0, padTop: 0, totalHeight: 0 });
  });
});

describe('scrollToReveal', () => {
  it('scrolls up to a row above, down to a row below, and not at all for a visible row', () => {
    expect(scrollToReveal(2, 20, 100, 200)).toBe(40);
    expect(scrollToReveal(20, 20, 100, 200)).toBe(220);
    expect(scrollToReveal(8, 20, 100, 200)).toBeNull();
  });
});
