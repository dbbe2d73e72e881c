// The scaling law of a family: eval FVU against dictionary size n, fitted as FVU = c · n^(−α) by least
// squares of log FVU on log n (Gao et al. 2024 fit their FVU-against-n laws in log-log space too).
// Three sizes at least: through two points any power law fits exactly, so the exponent would carry no
// evidence that the points lie on a line at all.
import { countLabel, logTicks, svgChart, type ChartSeries, type ChartSpec } from '../plot/svg-chart.js';

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

/** Least squares of log y on log x: y = coefficient · x^slope, with the fit's R²; null with fewer than three distinct x. */
function fitLogLog(points: Array<{ x: number; y: number }>): { slope: number; coefficient: number; r2: number } | null {
  if (new Set(points.map((p) => p.x)).size < MIN_SCALING_SIZES) return null;
  const xs = points.map((p) => Math.log(p.x));
  const ys = points.map((p) => Math.log(p.y));
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
  // All y equal: the line explains the (zero) variance exactly.
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, coefficient: Math.exp(my - slope * mx), r2 };
}

function sizesNamed(points: Array<{ x: number }>): string {
  const sizes = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  return sizes.length === 0 ? 'none has one' : `only ${sizes.join(', ')} ${sizes.length === 1 ? 'has' : 'have'} one`;
}

/** The fit, or the reason there is none (fewer than three distinct sizes with a positive eval FVU). */
export function fitPowerLaw(points: ScalingPoint[]): { fit: PowerLawFit } | { fit: null; reason: string } {
  const usable = points.filter((p) => p.dSae > 0 && p.evalFvu > 0 && Number.isFinite(p.evalFvu)).map((p) => ({ x: p.dSae, y: p.evalFvu }));
  const line = fitLogLog(usable);
  if (!line) return { fit: null, reason: `a power law needs eval FVU at ${MIN_SCALING_SIZES} or more sizes; ${sizesNamed(usable)}` };
  return { fit: { exponent: -line.slope, coefficient: line.coefficient, r2: line.r2 } };
}

/** Tokens to convergence T = coefficient · n^exponent (exponent positive when larger sizes take longer). */
export interface ConvergenceFit {
  exponent: number;
  coefficient: number;
  r2: number;
}

/**
 * The growth of tokens to convergence with size, fitted over the sizes that converged within their
 * run (a lower bound would bias the slope), or the reason there is none. Gao et al. 2024 report about
 * n^0.6 on GPT-2 small.
 */
export function fitConvergence(points: Array<{ dSae: number; tokens: number; converged: boolean }>): { fit: ConvergenceFit } | { fit: null; reason: string } {
  const usable = points.filter((p) => p.converged && p.dSae > 0 && p.tokens > 0).map((p) => ({ x: p.dSae, y: p.tokens }));
  const line = fitLogLog(usable);
  if (!line) return { fit: null, reason: `a power law needs ${MIN_SCALING_SIZES} or more sizes that converged within their run; ${sizesNamed(usable)}` };
  return { fit: { exponent: line.slope, coefficient: line.coefficient, r2: line.r2 } };
}

const COLOURS = { points: '#1f77b4', fit: '#d62728' };

interface LogLogChart {
  points: Array<{ x: number; y: number }>;
  /** y at x on the fitted line, and its legend label; null without a fit. */
  fit: { at: (x: number) => number; label: string } | null;
  pointsLabel: string;
  yLabel: string;
  yFormat?: (y: number) => string;
  title?: string;
}

/** Points against d_sae on log-log axes, with a fitted line when there is one. */
function logLogSvg(chart: LogLogChart): string {
  const sorted = [...chart.points].sort((a, b) => a.x - b.x);
  const [nLo, nHi] = [sorted[0]!.x, sorted.at(-1)!.x];
  const ys = sorted.map((p) => p.y);
  // Half a size step of room either side, so end points do not sit on the frame.
  const xDomain: [number, number] = [nLo / 1.4, nHi * 1.4];
  const yTicks = logTicks(Math.min(...ys) / 1.05, Math.max(...ys) * 1.05);
  const yDomain: [number, number] = [Math.min(yTicks[0]!, Math.min(...ys) / 1.05), Math.max(yTicks.at(-1)!, Math.max(...ys) * 1.05)];
  const series: ChartSeries[] = [{ points: sorted, colour: COLOURS.points, width: 0, markers: 4 }];
  const legend: NonNullable<ChartSpec['legend']> = [{ label: chart.pointsLabel, colour: COLOURS.points, marker: true }];
  if (chart.fit) {
    const { at, label } = chart.fit;
    series.push({ points: [nLo, nHi].map((x) => ({ x, y: at(x) })), colour: COLOURS.fit, width: 1.5, dashed: true });
    legend.push({ label, colour: COLOURS.fit, dashed: true });
  }
  return svgChart({
    title: chart.title,
    x: { label: 'latents (d_sae)', domain: xDomain, ticks: sorted.map((p) => p.x).filter((n, i, all) => all.indexOf(n) === i), format: (n) => n.toLocaleString('en-US'), log: true },
    y: { label: chart.yLabel, domain: yDomain, ticks: yTicks, format: chart.yFormat, log: true },
    series,
    legend,
    legendWidth: 210,
  });
}

/** Eval FVU against d_sae on log-log axes, with the fitted power law when there is one. */
export function scalingSvg(points: ScalingPoint[], fit: PowerLawFit | null, title?: string): string {
  if (points.length === 0) throw new Error('scaling chart: no size has an eval FVU to plot');
  return logLogSvg({
    points: points.map((p) => ({ x: p.dSae, y: p.evalFvu })),
    fit: fit && { at: (n) => fit.coefficient * n ** -fit.exponent, label: `FVU ∝ n^−${fit.exponent.toFixed(3)} (R² ${fit.r2.toFixed(2)})` },
    pointsLabel: 'eval FVU',
    yLabel: 'eval FVU (raw activation space)',
    title,
  });
}

/** Tokens to convergence of the sizes that converged against d_sae on log-log axes, with the fit when there is one. */
export function convergenceSvg(points: Array<{ dSae: number; tokens: number; converged: boolean }>, fit: ConvergenceFit | null, title?: string): string {
  const converged = points.filter((p) => p.converged);
  if (converged.length === 0) throw new Error('convergence chart: no size converged within its run');
  return logLogSvg({
    points: converged.map((p) => ({ x: p.dSae, y: p.tokens })),
    fit: fit && { at: (n) => fit.coefficient * n ** fit.exponent, label: `tokens ∝ n^${fit.exponent.toFixed(2)} (R² ${fit.r2.toFixed(2)})` },
    pointsLabel: 'tokens to convergence',
    yLabel: 'training tokens',
    yFormat: countLabel,
    title,
  });
}
