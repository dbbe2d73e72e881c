// The family tree of a latent across the sizes of an SAE family ("feature splitting", Bricken et al.
// 2023; Gao et al. 2024 §6). A latent's parent in the next smaller size is the latent whose decoder
// direction is closest to its own; its children are the latents of the next larger size that have
// it as parent with a cosine ≥ minCosine (the closest maxChildren), recursively. So every latent sits
// under one parent, and walking up from a leaf retraces the tree. Cosines are computed on the host
// from unit-normalised decoder rows.

export interface FamilyLevel {
  /** SAE id, e.g. "fam/4096". */
  sae: string;
  dSae: number;
  /** W_dec [dSae, dIn], row-major. */
  wDec: Float32Array;
}

export interface TreeNode {
  level: number;
  latent: number;
  /** Decoder cosine with the parent (1 at the root). */
  cosine: number;
  children: TreeNode[];
}

export interface TreeOptions {
  /** Smallest decoder cosine that makes a child; default 0.5. */
  minCosine?: number;
  /** Children kept per node, closest first; default 4. */
  maxChildren?: number;
}

export interface FamilyTree {
  /** From the next smaller size down to the smallest; stops where no latent reaches minCosine. */
  ancestors: Array<{ level: number; latent: number; cosine: number }>;
  root: TreeNode;
}

/** `levels` from smallest to largest d_sae; the tree of `latent` at `level`. */
export function familyTree(levels: FamilyLevel[], level: number, latent: number, options: TreeOptions = {}): FamilyTree {
  const minCosine = options.minCosine ?? 0.5;
  const maxChildren = options.maxChildren ?? 4;
  if (!(minCosine >= -1 && minCosine <= 1)) throw new Error(`minCosine must be in -1..1, got ${minCosine}`);
  if (!Number.isInteger(maxChildren) || maxChildren < 1) throw new Error(`maxChildren must be a positive integer, got ${maxChildren}`);
  if (!Number.isInteger(level) || level < 0 || level >= levels.length) throw new Error(`level ${level} is outside the family's sizes 0..${levels.length - 1}`);
  levels.forEach((l, i) => {
    if (i > 0 && l.dSae <= levels[i - 1]!.dSae) throw new Error(`family levels must grow in d_sae: ${levels[i - 1]!.sae} has ${levels[i - 1]!.dSae}, then ${l.sae} has ${l.dSae}`);
  });
  const dIn = levels[0]!.wDec.length / levels[0]!.dSae;
  const unit = levels.map((l) => {
    if (l.wDec.length !== l.dSae * dIn) throw new Error(`${l.sae}: W_dec has ${l.wDec.length} values, expected d_sae × d_in = ${l.dSae} × ${dIn}`);
    return normalisedRows(l.wDec, l.dSae, dIn);
  });
  if (!Number.isInteger(latent) || latent < 0 || latent >= levels[level]!.dSae) throw new Error(`latent ${latent} is out of range: ${levels[level]!.sae} has latents 0..${levels[level]!.dSae - 1}`);
  const row = (l: number, i: number) => unit[l]!.subarray(i * dIn, (i + 1) * dIn);
  const cosines = (l: number, i: number, other: number) => {
    const v = row(l, i);
    const rows = unit[other]!;
    return Array.from({ length: levels[other]!.dSae }, (_, j) => {
      let dot = 0;
      for (let k = 0; k < dIn; k++) dot += v[k]! * rows[j * dIn + k]!;
      return dot;
    });
  };
  const closest = (l: number, i: number, other: number) => {
    const c = cosines(l, i, other);
    return c.reduce((b, v, j) => (v > c[b]! ? j : b), 0);
  };
  const grow = (l: number, i: number, cosine: number): TreeNode => {
    if (l + 1 >= levels.length) return { level: l, latent: i, cosine, children: [] };
    const close = cosines(l, i, l + 1)
      .map((c, j) => ({ c, j }))
      .filter((e) => e.c >= minCosine && closest(l + 1, e.j, l) === i)
      .sort((a, b) => b.c - a.c || a.j - b.j)
      .slice(0, maxChildren);
    return { level: l, latent: i, cosine, children: close.map((e) => grow(l + 1, e.j, e.c)) };
  };
  const ancestors: FamilyTree['ancestors'] = [];
  for (let l = level - 1, i = latent; l >= 0; l--) {
    const best = closest(l + 1, i, l);
    const cosine = cosines(l + 1, i, l)[best]!;
    if (cosine < minCosine) break;
    ancestors.push({ level: l, latent: best, cosine });
    i = best;
  }
  return { ancestors, root: grow(level, latent, 1) };
}

function normalisedRows(w: Float32Array, rows: number, d: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let k = 0; k < d; k++) norm += w[r * d + k]! ** 2;
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let k = 0; k < d; k++) out[r * d + k] = w[r * d + k]! * inv;
  }
  return out;
}
