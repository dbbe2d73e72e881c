// How a family's latents carry over from one size to the next: for each pair of neighbouring sizes,
// the share of the smaller size's latents that are kept (exactly one child), split (two or more) or
// have no counterpart (none), and the share of the larger size's latents that are new (no parent).
// Parent and child are the family tree's (features/family-tree.ts): a latent's parent is the latent
// of the next smaller size with the closest decoder direction, and it is a child when that cosine is
// at least minCosine. Cosines come from blocked products of unit decoder rows on the tensor backend,
// so the cost is n_small × n_large × d_in multiply-adds per pair.
import type { FamilySplittingPair } from '../../src-shared/api.js';
import { tf } from '../engine/backend.js';
import { loadSaeLens } from '../sae/formats/saelens.js';
import type { FamilyLevel } from './family-tree.js';

/** One pair of neighbouring sizes (fields documented in the contract's FamilySplittingPair); SAE ids name the sizes. */
export type PairStats = Omit<FamilySplittingPair, 'smallSize' | 'largeSize'>;

export interface SplittingStats {
  minCosine: number;
  pairs: PairStats[];
}

const BLOCK = 1024;

/** Unit rows of W_dec [n, d] as a tensor (a zero row stays zero). */
function unitRows(wDec: Float32Array, n: number, d: number): tf.Tensor2D {
  return tf.tidy(() => {
    const w = tf.tensor2d(wDec, [n, d]);
    return tf.div(w, tf.maximum(tf.norm(w, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
  });
}

/** For each row of the larger size: its closest row of the smaller size, and their cosine. */
async function closestParents(small: tf.Tensor2D, large: tf.Tensor2D): Promise<{ parent: Int32Array; cosine: Float32Array }> {
  const nLarge = large.shape[0];
  const parent = new Int32Array(nLarge);
  const cosine = new Float32Array(nLarge);
  const smallT = tf.transpose(small);
  try {
    for (let start = 0; start < nLarge; start += BLOCK) {
      const rows = Math.min(BLOCK, nLarge - start);
      const [best, value] = tf.tidy(() => {
        const sims = tf.matMul(tf.slice(large, [start, 0], [rows, -1]), smallT); // [rows, nSmall]
        return [tf.argMax(sims, 1), tf.max(sims, 1)];
      });
      parent.set(await best.data() as Int32Array, start);
      cosine.set(await value.data() as Float32Array, start);
      tf.dispose([best, value]);
    }
  } finally {
    smallT.dispose();
  }
  return { parent, cosine };
}

function median(values: Float32Array): number {
  if (values.length === 0) return NaN;
  const sorted = Float32Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The decoders of a family's members (SAELens folders), smallest d_sae first, named by `sae`. */
export function loadFamilyLevels(members: Array<{ sae: string; path: string }>): FamilyLevel[] {
  return members
    .map((m) => {
      const bundle = loadSaeLens(m.path);
      return { sae: m.sae, dSae: bundle.spec.dSae, wDec: bundle.weights.W_dec };
    })
    .sort((a, b) => a.dSae - b.dSae);
}

/** Multiply-adds of the decoder-cosine products splittingStats does for `levels` (sorted by size). */
export function splittingCost(levels: Array<{ dSae: number }>, dIn: number): number {
  let cost = 0;
  for (let i = 1; i < levels.length; i++) cost += levels[i - 1]!.dSae * levels[i]!.dSae * dIn;
  return cost;
}

/** `levels` from smallest to largest d_sae, all of one d_in. */
export async function splittingStats(levels: FamilyLevel[], options: { minCosine?: number } = {}): Promise<SplittingStats> {
  const minCosine = options.minCosine ?? 0.5;
  if (!(minCosine >= -1 && minCosine <= 1)) throw new Error(`minCosine must be in -1..1, got ${minCosine}`);
  if (levels.length < 2) throw new Error(`splitting statistics need at least two sizes, got ${levels.length}`);
  const dIn = levels[0]!.wDec.length / levels[0]!.dSae;
  levels.forEach((l, i) => {
    if (l.wDec.length !== l.dSae * dIn) throw new Error(`${l.sae}: W_dec has ${l.wDec.length} values, expected d_sae × d_in = ${l.dSae} × ${dIn}`);
    if (i > 0 && l.dSae <= levels[i - 1]!.dSae) throw new Error(`family levels must grow in d_sae: ${levels[i - 1]!.sae} has ${levels[i - 1]!.dSae}, then ${l.sae} has ${l.dSae}`);
  });
  const pairs: PairStats[] = [];
  let small = unitRows(levels[0]!.wDec, levels[0]!.dSae, dIn);
  try {
    for (let i = 1; i < levels.length; i++) {
      const large = unitRows(levels[i]!.wDec, levels[i]!.dSae, dIn);
      const { parent, cosine } = await closestParents(small, large);
      const children = new Uint32Array(levels[i - 1]!.dSae);
      let newInLarge = 0;
      for (let j = 0; j < parent.length; j++) {
        if (cosine[j]! >= minCosine) children[parent[j]!]!++;
        else newInLarge++;
      }
      let kept = 0, split = 0, none = 0, splitChildren = 0;
      for (const c of children) {
        if (c === 0) none++;
        else if (c === 1) kept++;
        else {
          split++;
          splitChildren += c;
        }
      }
      pairs.push({
        small: levels[i - 1]!.sae,
        large: levels[i]!.sae,
        kept,
        split,
        none,
        meanSplitChildren: split > 0 ? splitChildren / split : 0,
        newInLarge,
        medianParentCosine: median(cosine),
      });
      small.dispose();
      small = large;
    }
  } finally {
    small.dispose();
  }
  return { minCosine, pairs };
}
