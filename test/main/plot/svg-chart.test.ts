// The shared SVG chart: round ticks on linear and log axes, and points placed where their values say
// on a log-log chart.
import { describe, expect, it } from 'vitest';
import { logTicks, niceTicks, svgChart } from '../../../src-main/plot/svg-chart.js';

describe('svgChart', () => {
  it('picks round ticks that cover the range', () => {
    expect(niceTicks(0, 409600, 6)).toEqual([0, 100000, 200000, 300000, 400000, 500000]);
    expect(niceTicks(5.6, 10.3, 6)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(niceTicks(0.83, 3.12, 6)).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5]);
    expect(niceTicks(2, 2, 4)).toEqual([1.5, 2, 2.5]);
  });

  it('puts 1-2-5 ticks on a wide log range and linear ones on a narrow one', () => {
    expect(logTicks(100, 5000)).toEqual([100, 200, 500, 1000, 2000, 5000]);
    expect(logTicks(0.03, 0.04)).toEqual([0.03, 0.035, 0.04]);
  });

  it('places points by their logarithms on log axes', () => {
    const svg = svgChart({
      x: { label: 'latents', domain: [100, 10_000], ticks: [100, 1000, 10_000], log: true },
      y: { label: 'FVU', domain: [0.01, 1], ticks: [0.01, 0.1, 1], log: true },
      series: [{ points: [{ x: 100, y: 1 }, { x: 1000, y: 0.1 }, { x: 10_000, y: 0.01 }], colour: '#123456', width: 0, markers: 3 }],
    });
    const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    // Plot area: x 70..610, y 40..384; one decade is half of each.
    expect(circles).toEqual([[70, 40], [340, 212], [610, 384]]);
    expect(svg).not.toContain('<path');
  });
});
