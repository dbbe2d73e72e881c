// How much structure a feature map's two bases have, against chance (docs/demo.md "The map"): the
// median over latents of the cosine to their nearest neighbour, beside the same median for a
// baseline without structure, and the Hopkins statistic of the stored 2-D layout. The baselines:
// for decoder directions, as many random Gaussian directions in d_in (what an evenly spread
// dictionary is near); for activation profiles, each latent firing on random tokens with its own
// density and mean activation, projected as the harvest projects (activation-profile.ts), which
// keeps every latent's sparsity and the projection's noise but no co-firing. Pure functions: the
// CLI (cli/commands/umap.ts, `umap --stats`) reads the database and the decoder weights.
import { fillNormal } from '../../src-shared/random.js';
import { ActivationProfiles, TokenProjection, type ProfileConfig } from './activation-profile.js';

/** Fewest latents a basis is measured on: a nearest neighbour needs two, a layout three (umap.ts MIN_POINTS). */
export const MIN_LATENTS = 3;

/** Rows scaled to unit length (a zero row stays zero): [n, d]. */
function unitRows(x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d); // [n, d]
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (let c = i * d; c < (i + 1) * d; c++) sq += x[c] * x[c];
    const scale = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let c = i * d; c < (i + 1) * d; c++) out[c] = x[c] * scale;
  }
  return out;
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Each row's largest cosine to any other row: [n]. All pairs, each once: n² d / 2 multiply-adds,
 * 6.6·10⁹ for the demo family's 1,789 activation profiles of 4,096 dims (tens of seconds), growing
 * with the square of the latents.
 */
export function nearestCosines(x: Float32Array, n: number, d: number): Float64Array {
  if (n < 2) throw new Error(`nearest-neighbour cosines need at least 2 rows, got ${n}`);
  if (x.length !== n * d) throw new Error(`expected ${n} rows of ${d} (${n * d} values), got ${x.length} values`);
  const u = unitRows(x, n, d); // [n, d]
  const best = new Float64Array(n).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const a = i * d;
    for (let j = i + 1; j < n; j++) {
      const b = j * d;
      let dot = 0;
      for (let c = 0; c < d; c++) dot += u[a + c] * u[b + c];
      if (dot > best[i]) best[i] = dot;
      if (dot > best[j]) best[j] = dot;
    }
  }
  return best;
}

/** The median over rows of the nearest-neighbour cosine. */
export function medianNearestCosine(x: Float32Array, n: number, d: number): number {
  return median(nearestCosines(x, n, d));
}

/**
 * The Hopkins statistic of 2-D points [n, 2] (Hopkins & Skellam 1954): with U the summed distances
 * from `samples` uniform points in the bounding box to their nearest point, and W those from
 * `samples` points drawn from the set to their nearest other point, H = U / (U + W). About 0.5 for
 * points spread uniformly (U ≈ W), towards 1 for clumped ones (W small), towards 0 for a lattice.
 */
export function hopkins(xy: Float32Array, samples: number, random: () => number): number {
  const n = xy.length / 2;
  if (!Number.isInteger(n) || n < 2) throw new Error(`the Hopkins statistic needs at least 2 points as [n, 2], got ${xy.length} values`);
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`Hopkins samples must be a positive integer, got ${samples}`);
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, xy[2 * i]);
    x1 = Math.max(x1, xy[2 * i]);
    y0 = Math.min(y0, xy[2 * i + 1]);
    y1 = Math.max(y1, xy[2 * i + 1]);
  }
  const nearest = (x: number, y: number, skip: number) => {
    let best = Infinity;
    for (let j = 0; j < n; j++) if (j !== skip) best = Math.min(best, (xy[2 * j] - x) ** 2 + (xy[2 * j + 1] - y) ** 2);
    return Math.sqrt(best);
  };
  let u = 0;
  let w = 0;
  for (let s = 0; s < samples; s++) {
    u += nearest(x0 + (x1 - x0) * random(), y0 + (y1 - y0) * random(), -1);
    const i = Math.floor(random() * n);
    w += nearest(xy[2 * i], xy[2 * i + 1], i);
  }
  return u + w > 0 ? u / (u + w) : 0.5;
}

/** The decoder basis's baseline: n random Gaussian directions in d dims, [n, d]. */
export function gaussianDirections(n: number, d: number, random: () => number): Float32Array {
  return fillNormal(new Float32Array(n * d), 1, random); // [n, d]
}

/** A latent's harvest statistics the shuffled baseline keeps. */
export interface FiringStats {
  /** Share of tokens it fires on, in [0, 1]. */
  density: number;
  /** Mean activation where it fires. */
  meanAct: number;
}

/** Tokens per batch the shuffled firings are projected in. */
const BLOCK_TOKENS = 1024;

/**
 * The activation basis's baseline: centred profiles [latents, dims] of latents that fire at random
 * over `tokens` tokens, each independently with its own density, at its mean activation × U(0.5, 1.5),
 * projected by `projection` (the harvest's profile config, so the noise of the random projection is
 * the real profiles'). Firing tokens are drawn by geometric gaps, so the cost is the firings × dims,
 * not tokens × latents.
 */
export function shuffledProfiles(latents: FiringStats[], tokens: number, projection: ProfileConfig, dims: number, random: () => number): Float32Array {
  const bad = latents.findIndex((l) => !(l.density >= 0 && l.density <= 1) || !Number.isFinite(l.meanAct));
  if (bad >= 0) throw new Error(`latent ${bad} has density ${latents[bad].density} and mean activation ${latents[bad].meanAct}; need a density in [0, 1] and a finite mean`);
  const n = latents.length;
  const profiles = new ActivationProfiles(n, new TokenProjection(projection, dims), dims);
  // The token each latent fires on next (tokens when it fires no more).
  const gap = (density: number) => (density >= 1 ? 0 : density <= 0 ? tokens : Math.floor(Math.log(1 - random()) / Math.log(1 - density)));
  const next = Float64Array.from(latents, (l) => gap(l.density));
  for (let first = 0; first < tokens; first += BLOCK_TOKENS) {
    const rows = Math.min(BLOCK_TOKENS, tokens - first);
    const firings: Array<Array<[number, number]>> = Array.from({ length: rows }, () => []);
    for (let l = 0; l < n; l++) {
      while (next[l] < first + rows) {
        firings[next[l] - first].push([l, latents[l].meanAct * (0.5 + random())]);
        next[l] += 1 + gap(latents[l].density);
      }
    }
    const k = Math.max(1, ...firings.map((f) => f.length));
    const values = new Float32Array(rows * k); // [rows, k], zero-padded
    const indices = new Int32Array(rows * k); // [rows, k]
    firings.forEach((f, r) => f.forEach(([latent, value], j) => ((indices[r * k + j] = latent), (values[r * k + j] = value))));
    profiles.observe({ tokens: new Int32Array(rows), ctx: rows, dSae: n, firstWindow: first / BLOCK_TOKENS, sparse: { values, indices, k } }, first);
  }
  return profiles.centred();
}
