// Standalone SVG charts for docs and the CLI (`lm plot`, `family chart`): lines and markers on linear
// or logarithmic axes, dashed reference lines labelled in the right margin, a legend in the top-right
// corner. Hand-written because the charts are few and simple and need no dependency.

export interface ChartAxis {
  label: string;
  /** Data range the axis spans. */
  domain: [number, number];
  /** Values that get a tick and a label (a grid line too on the y axis). */
  ticks: number[];
  format?: (value: number) => string;
  log?: boolean;
}

export interface ChartSeries {
  points: Array<{ x: number; y: number }>;
  colour: string;
  /** Stroke width of the line; no line when 0. */
  width: number;
  dashed?: boolean;
  /** Marker radius; no markers when omitted. */
  markers?: number;
}

export interface ChartSpec {
  title?: string;
  x: ChartAxis;
  y: ChartAxis;
  series: ChartSeries[];
  /** Horizontal dashed lines, labelled at the right. */
  references?: Array<{ y: number; label: string; colour: string }>;
  legend?: Array<{ label: string; colour: string; dashed?: boolean; /** A marker instead of a line (for a series of points). */ marker?: boolean }>;
  /** Width of the legend box from the plot's right edge. */
  legendWidth?: number;
}

/** Round ticks from at or below `lo` to at or above `hi`, in steps of 1, 2 or 5 × 10^k, about `count` steps. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return niceTicks(lo - 0.5, hi + 0.5, count);
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9))!;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)));
}

/**
 * Ticks for a log axis over [lo, hi] (both > 0): 1, 2 and 5 × 10^k inside the range; when fewer than
 * three fall inside (a range narrower than a factor of 2.5), round linear ticks instead, which on a
 * log axis are merely unevenly spaced.
 */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const t = Number((m * 10 ** e).toPrecision(12));
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
    }
  }
  return ticks.length >= 3 ? ticks : niceTicks(lo, hi, 4).filter((t) => t > 0);
}

/** 1,500 → "1.5k", 2,000,000 → "2M". */
export function countLabel(n: number): string {
  if (n >= 1e6) return `${Number((n / 1e6).toPrecision(3))}M`;
  if (n >= 1e3) return `${Number((n / 1e3).toPrecision(3))}k`;
  return String(n);
}

export const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { left: 70, right: 150, top: 40, bottom: 56 };

export function svgChart(spec: ChartSpec): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const scale = (axis: ChartAxis) => {
    const t = axis.log ? Math.log10 : (v: number) => v;
    const [lo, hi] = [t(axis.domain[0]), t(axis.domain[1])];
    return (v: number) => (t(v) - lo) / (hi - lo || 1);
  };
  const [sx, sy] = [scale(spec.x), scale(spec.y)];
  const x = (v: number) => MARGIN.left + sx(v) * plotW;
  const y = (v: number) => MARGIN.top + (1 - sy(v)) * plotH;
  const f = (v: number) => v.toFixed(1);
  const label = (axis: ChartAxis, v: number) => escapeXml(axis.format ? axis.format(v) : String(v));

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  if (spec.title) out.push(`<text x="${MARGIN.left + plotW / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(spec.title)}</text>`);
  for (const t of spec.y.ticks) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(y(t))}" y2="${f(y(t))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${f(y(t) + 4)}" text-anchor="end">${label(spec.y, t)}</text>`);
  }
  for (const t of spec.x.ticks) {
    out.push(`<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" stroke="black"/>`);
    out.push(`<text x="${f(x(t))}" y="${MARGIN.top + plotH + 19}" text-anchor="middle">${label(spec.x, t)}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="black"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeXml(spec.x.label)}</text>`);
  out.push(`<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.y.label)}</text>`);
  for (const r of spec.references ?? []) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(y(r.y))}" y2="${f(y(r.y))}" stroke="${r.colour}" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${MARGIN.left + plotW + 6}" y="${f(y(r.y) + 4)}" fill="${r.colour}">${escapeXml(r.label)}</text>`);
  }
  for (const s of spec.series) {
    if (s.width > 0 && s.points.length > 1) {
      const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(x(p.x))},${f(y(p.y))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="${s.width}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    if (s.markers) for (const p of s.points) out.push(`<circle cx="${f(x(p.x))}" cy="${f(y(p.y))}" r="${s.markers}" fill="${s.colour}"/>`);
  }
  // Top right inside the plot: the curves drawn here fall, so that corner is empty.
  (spec.legend ?? []).forEach((item, i) => {
    const lx = MARGIN.left + plotW - (spec.legendWidth ?? 130);
    const ly = MARGIN.top + 16 + i * 18;
    if (item.marker) out.push(`<circle cx="${lx + 10}" cy="${ly}" r="4" fill="${item.colour}"/>`);
    else out.push(`<line x1="${lx}" x2="${lx + 20}" y1="${ly}" y2="${ly}" stroke="${item.colour}" stroke-width="2"${item.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${lx + 26}" y="${ly + 4}">${escapeXml(item.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
