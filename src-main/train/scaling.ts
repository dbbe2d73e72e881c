// The scaling law of a family: eval FVU against dictionary size n, fitted as FVU = c · n^(−α) by least
// squares of log FVU on log n (Gao et al. 2024 fit their FVU-against-n laws in log-log space too).
// Three sizes at least: through two points any power law fits exactly, so the exponent would carry no
// evidence that the points lie on a line at all.
import { logTicks, svgChart, type ChartSeries, type ChartSpec } from '../plot/svg-chart.js';

export const MIN_SCALING_SIZES = 3;

export interface ScalingPoint {
  dSae: number;
  evalFvu: number;
}

export interface PowerLawFit {
  /** α in FVU ∝ n^(−α): the slope of log FVU on log n, negated (positive when FVU falls with n). */
  exponent: number;
  /** c: FVU at n = 1 on the fitted line. */
  coefficient: number;
  /** Coefficient of determination of the log-log fit. */
  r2: number;
}

/** The fit, or the reason there is none (fewer than three distinct sizes with a positive eval FVU). */
export function fitPowerLaw(points: ScalingPoint[]): { fit: PowerLawFit } | { fit: null; reason: string } {
  const usable = points.filter((p) => p.dSae > 0 && p.evalFvu > 0 && Number.isFinite(p.evalFvu));
  const sizes = new Set(usable.map((p) => p.dSae));
  if (sizes.size < MIN_SCALING_SIZES) {
    return { fit: null, reason: `a power law needs eval FVU at ${MIN_SCALING_SIZES} or more sizes; ${sizes.size === 0 ? 'none has one' : `only ${[...sizes].sort((a, b) => a - b).join(', ')} ${sizes.size === 1 ? 'has' : 'have'} one`}` };
  }
  const xs = usable.map((p) => Math.log(p.dSae));
  const ys = usable.map((p) => Math.log(p.evalFvu));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const [mx, my] = [mean(xs), mean(ys)];
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  });
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  // All FVUs equal: the line explains the (zero) variance exactly.
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { fit: { exponent: -slope, coefficient: Math.exp(intercept), r2 } };
}

const COLOURS = { points: '#1f77b4', fit: '#d62728' };

/** Eval FVU against d_sae on log-log axes, with the fitted power law when there is one. */
export function scalingSvg(points: ScalingPoint[], fit: PowerLawFit | null, title?: string): string {
  if (points.length === 0) throw new Error('scaling chart: no size has an eval FVU to plot');
  const sorted = [...points].sort((a, b) => a.dSae - b.dSae);
  const [nLo, nHi] = [sorted[0]!.dSae, sorted.at(-1)!.dSae];
  const fvus = sorted.map((p) => p.evalFvu);
  // Half a size step of room either side, so end points do not sit on the frame.
  const xDomain: [number, number] = [nLo / 1.4, nHi * 1.4];
  const yTicks = logTicks(Math.min(...fvus) / 1.05, Math.max(...fvus) * 1.05);
  const yDomain: [number, number] = [Math.min(yTicks[0]!, Math.min(...fvus) / 1.05), Math.max(yTicks.at(-1)!, Math.max(...fvus) * 1.05)];
  const series: ChartSeries[] = [{ points: sorted.map((p) => ({ x: p.dSae, y: p.evalFvu })), colour: COLOURS.points, width: 0, markers: 4 }];
  const legend: NonNullable<ChartSpec['legend']> = [{ label: 'eval FVU', colour: COLOURS.points, marker: true }];
  if (fit) {
    const line = (n: number) => ({ x: n, y: fit.coefficient * n ** -fit.exponent });
    series.push({ points: [line(nLo), line(nHi)], colour: COLOURS.fit, width: 1.5, dashed: true });
    legend.push({ label: `FVU ∝ n^−${fit.exponent.toFixed(3)} (R² ${fit.r2.toFixed(2)})`, colour: COLOURS.fit, dashed: true });
  }
  return svgChart({
    title,
    x: { label: 'latents (d_sae)', domain: xDomain, ticks: sorted.map((p) => p.dSae).filter((n, i, all) => all.indexOf(n) === i), format: (n) => n.toLocaleString('en-US'), log: true },
    y: { label: 'eval FVU (raw activation space)', domain: yDomain, ticks: yTicks, log: true },
    series,
    legend,
    legendWidth: 210,
  });
}
