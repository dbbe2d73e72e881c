import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDensity, formatDuration, formatValue } from '../../../src-renderer/src/lib/format.js';

describe('format', () => {
  it('formats sizes, counts, values, densities and durations', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual(['512 B', '1.5 KB', '5.0 GB']);
    expect([formatCount(999), formatCount(12_345), formatCount(1_234_567), formatCount(2e9)]).toEqual(['999', '12.3k', '1.23M', '2.00B']);
    expect([formatValue(0), formatValue(3.14159), formatValue(0.00012), formatValue(-2.5)]).toEqual(['0', '3.14', '1.20e-4', '-2.50']);
    expect([formatDensity(0), formatDensity(0.25), formatDensity(0.000123)]).toEqual(['0%', '25.0%', '0.012%']);
    expect([formatDuration(5.4), formatDuration(185), formatDuration(3725)]).toEqual(['5s', '3m 05s', '1h 02m']);
  });
});
