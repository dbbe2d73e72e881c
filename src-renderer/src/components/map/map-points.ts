// The GPU-side arrays of a feature map: positions (3-D and flattened 2-D) scaled into a unit box so
// the cameras need no per-map tuning, and one RGB colour per point from its dictionary size.
import type { FeatureMapColumns } from '../../../../src-shared/feature-map.js';

export type Rgb = [number, number, number];

export interface MapPoints {
  count: number;
  /** [count * 3] UMAP x, y, z centred and scaled so the largest axis spans [-1, 1]. */
  positions3: Float32Array;
  /** [count * 3] the same x, y with z = 0, for the 2-D view. */
  positions2: Float32Array;
  /** [count * 3] linear-ish RGB in [0, 1], the colour of each point's dictionary size. */
  colors: Float32Array;
}

/** Rejects a map whose columns disagree in length or point at SAEs it does not list. */
export function checkFeatureMap(map: FeatureMapColumns): void {
  const n = map.latent.length;
  for (const column of ['sae', 'x', 'y', 'z'] as const) {
    if (map[column].length !== n) throw new Error(`features.map "${map.family}": column ${column} has ${map[column].length} entries, latent has ${n}; all columns must be equal`);
  }
  if (map.sizes.length !== map.saes.length) throw new Error(`features.map "${map.family}": ${map.sizes.length} sizes for ${map.saes.length} saes; need one d_sae per SAE`);
  for (let i = 0; i < n; i++) {
    const s = map.sae[i]!;
    if (!Number.isInteger(s) || s < 0 || s >= map.saes.length) throw new Error(`features.map "${map.family}": sae[${i}] = ${s}, expected an index into saes (0..${map.saes.length - 1})`);
  }
}

/** Centre of the bounding box and the half-extent of its largest axis (1 when all points coincide). */
function boxOf(map: FeatureMapColumns): { centre: Rgb; half: number } {
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  const columns = [map.x, map.y, map.z];
  for (let axis = 0; axis < 3; axis++) {
    for (const v of columns[axis]!) {
      if (v < lo[axis]!) lo[axis] = v;
      if (v > hi[axis]!) hi[axis] = v;
    }
  }
  if (map.latent.length === 0) return { centre: [0, 0, 0], half: 1 };
  const centre: Rgb = [(lo[0]! + hi[0]!) / 2, (lo[1]! + hi[1]!) / 2, (lo[2]! + hi[2]!) / 2];
  const half = Math.max(hi[0]! - lo[0]!, hi[1]! - lo[1]!, hi[2]! - lo[2]!) / 2;
  return { centre, half: half > 0 ? half : 1 };
}

export function buildMapPoints(map: FeatureMapColumns, colorOfSae: (saeIndex: number) => Rgb): MapPoints {
  checkFeatureMap(map);
  const count = map.latent.length;
  const { centre, half } = boxOf(map);
  const positions3 = new Float32Array(count * 3);
  const positions2 = new Float32Array(count * 3);
  const colors = new Float32Array(count * 3);
  const palette = map.saes.map((_, s) => colorOfSae(s));
  for (let i = 0; i < count; i++) {
    const x = (map.x[i]! - centre[0]) / half;
    const y = (map.y[i]! - centre[1]) / half;
    positions3[3 * i] = positions2[3 * i] = x;
    positions3[3 * i + 1] = positions2[3 * i + 1] = y;
    positions3[3 * i + 2] = (map.z[i]! - centre[2]) / half;
    const rgb = palette[map.sae[i]!]!;
    colors.set(rgb, 3 * i);
  }
  return { count, positions3, positions2, colors };
}

/** Rank of each SAE by dictionary size (smallest 0), which picks its colour in the family palette. */
export function sizeRanks(sizes: number[]): number[] {
  const order = sizes.map((_, s) => s).sort((a, b) => sizes[a]! - sizes[b]! || a - b);
  const rank = new Array<number>(sizes.length);
  order.forEach((s, r) => (rank[s] = r));
  return rank;
}

/** "#6aa7ff" → [0.42, 0.65, 1]. */
export function hexToRgb(hex: string): Rgb {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`colour "${hex}" is not a #rrggbb hex colour`);
  const v = parseInt(m[1]!, 16);
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

/**
 * Colours with the points outside `highlighted` (a 0/1 flag per point) faded towards `background`,
 * so search matches stand out while the layout stays visible; null highlights nothing and dims nothing.
 */
export function dimmedColors(colors: Float32Array, highlighted: Uint8Array | null, background: Rgb, keep: number, out: Float32Array): Float32Array {
  if (out.length !== colors.length) throw new Error(`dimmedColors: out has ${out.length} entries, colors ${colors.length}`);
  if (!highlighted) {
    out.set(colors);
    return out;
  }
  const count = colors.length / 3;
  for (let i = 0; i < count; i++) {
    const t = highlighted[i] ? 1 : keep;
    for (let c = 0; c < 3; c++) out[3 * i + c] = background[c]! + (colors[3 * i + c]! - background[c]!) * t;
  }
  return out;
}
