// The family page's charts in the columnar shape LineChart (uPlot) draws: training curves of every
// member on one token axis, eval FVU against size with the fitted power law, and tokens to
// convergence against size.
import type { FamilyPageMember, FamilyScaling } from '../../../src-shared/api.js';

export interface ChartData {
  x: number[];
  lines: Array<{ label: string; values: Array<number | null>; style?: 'line' | 'points' | 'dashed' }>;
}

export const CURVE_METRICS = [
  { id: 'trainFvu', label: 'train FVU (normalised inputs)' },
  { id: 'l0', label: 'L0' },
  { id: 'deadFrac', label: 'dead fraction (training window)', range: [0, 1] },
] as const satisfies ReadonlyArray<{ id: 'trainFvu' | 'l0' | 'deadFrac'; label: string; range?: readonly [number, number] }>;

export type CurveMetric = (typeof CURVE_METRICS)[number]['id'];

/**
 * One line per member with a curve, on the union of their token counts (sizes trained together share
 * them; a member lacking a point there gets a gap); null when no member has a curve.
 */
export function curveChart(members: FamilyPageMember[], metric: CurveMetric): ChartData | null {
  const withCurve = members.filter((m) => m.curve !== null && (metric !== 'deadFrac' || m.curve.deadFrac !== null));
  if (withCurve.length === 0) return null;
  const x = [...new Set(withCurve.flatMap((m) => m.curve!.tokens))].sort((a, b) => a - b);
  const lines = withCurve.map((m) => {
    const at = new Map(m.curve!.tokens.map((t, i) => [t, m.curve![metric]![i]!]));
    return { label: m.label, values: x.map((t) => at.get(t) ?? null) };
  });
  return { x, lines };
}

/** FVU = c · n^(−α) at n. */
export const powerLaw = (fit: NonNullable<FamilyScaling['fit']>, n: number): number => fit.coefficient * n ** -fit.exponent;

/** Eval FVU at each size with an evaluation, and the fitted line through the same sizes. */
export function scalingChart(scaling: FamilyScaling): ChartData | null {
  if (scaling.points.length === 0) return null;
  const x = scaling.points.map((p) => p.dSae);
  const lines: ChartData['lines'] = [{ label: 'eval FVU', values: scaling.points.map((p) => p.evalFvu), style: 'points' }];
  if (scaling.fit) lines.push({ label: `fit n^−${scaling.fit.exponent.toFixed(3)}`, values: x.map((n) => powerLaw(scaling.fit!, n)), style: 'dashed' });
  return { x, lines };
}

/**
 * Tokens to convergence against size; a size still falling at the end of its run is a separate,
 * lower-bound series; the fit over the converged sizes when there is one.
 */
export function convergenceChart(members: FamilyPageMember[], fit: FamilyScaling['convergenceFit'] = null): ChartData | null {
  const known = members.filter((m) => m.convergence !== null).sort((a, b) => a.dSae - b.dSae);
  if (known.length === 0) return null;
  const x = known.map((m) => m.dSae);
  const lines: ChartData['lines'] = [{ label: 'converged', values: known.map((m) => (m.convergence!.converged ? m.convergence!.tokens : null)), style: 'points' }];
  if (known.some((m) => !m.convergence!.converged)) lines.push({ label: 'still falling (lower bound)', values: known.map((m) => (m.convergence!.converged ? null : m.convergence!.tokens)), style: 'points' });
  if (fit) lines.push({ label: `fit n^${fit.exponent.toFixed(2)}`, values: x.map((n) => fit.coefficient * n ** fit.exponent), style: 'dashed' });
  return { x, lines };
}
