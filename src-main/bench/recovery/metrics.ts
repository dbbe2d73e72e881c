// What an SAE recovered of a planted dictionary (data/planted.ts): how close its decoder rows come to
// the planted directions, and whether it absorbed parents into children on the tokens where both
// fire. The definitions are written into the benchmark's output so a reader never has to guess.
import type { PlantedBatch, PlantedDictionary } from '../../data/planted.js';
import { decoderNeighbours } from '../../features/neighbours.js';
import type { HostCode } from '../../sae/sparse/codes.js';

/** Decoder cosine at or above which a planted feature counts as recovered. */
export const RECOVERED_AT = 0.9;

export const RECOVERY_DEFINITION = `a planted feature is recovered when some decoder row has cosine >= ${RECOVERED_AT} with its direction; mean max cosine averages, over planted features, the best decoder cosine`;
export const ABSORPTION_DEFINITION =
  "over every (parent, child) pair and every eval token on which both fire: the share of tokens on which the parent's latent (the decoder row closest to the parent's direction) does not fire while the child's latent (the row closest to the child's) does (Chanin et al. 2024: the parent latent has a hole that the child latent fills)";
export const PARENT_MISS_DEFINITION = "over parents and eval tokens on which the parent fires without any of its children: the share on which the parent's latent does not fire (misses that are not absorption)";
export const CHILD_LEANING_DEFINITION = "mean over children of the cosine between the child's latent's decoder row and the parent's direction (the truth's own is the planted cosine between child and parent, near 0)";

/** For each planted feature, the latent whose decoder row points most its way. */
export interface FeatureMatch {
  /** [features] best latent. */
  latent: Int32Array;
  /** [features] its cosine. */
  cosine: Float32Array;
}

/** Best decoder row per planted feature; `decoder` is [latents, d] row-major, rows of any norm. */
export async function matchFeatures(planted: PlantedDictionary, decoder: Float32Array, latents: number): Promise<FeatureMatch> {
  if (decoder.length !== latents * planted.d) throw new Error(`matchFeatures: the decoder has ${decoder.length} values, expected ${latents} latents × d ${planted.d}`);
  const best = await decoderNeighbours(planted.directions, planted.features, decoder, latents, planted.d, { k: 1, excludeSelf: false });
  return { latent: best.indices, cosine: best.cosines };
}

export interface RecoveryFigures {
  /** Share of planted features recovered (RECOVERY_DEFINITION). */
  recovered: number;
  meanMaxCosine: number;
  /** The same share over features outside any hierarchy and parents (children excluded). */
  recoveredIndependent: number;
  /** The same share over children; null without hierarchies. */
  recoveredChildren: number | null;
}

export function recoveryFigures(planted: PlantedDictionary, match: FeatureMatch): RecoveryFigures {
  const share = (features: number[]) => (features.length === 0 ? null : features.filter((f) => match.cosine[f] >= RECOVERED_AT).length / features.length);
  const all = Array.from({ length: planted.features }, (_, f) => f);
  return {
    recovered: share(all)!,
    meanMaxCosine: match.cosine.reduce((sum, c) => sum + c, 0) / planted.features,
    recoveredIndependent: share(all.filter((f) => planted.parentOf[f] < 0)) ?? 0,
    recoveredChildren: share(all.filter((f) => planted.parentOf[f] >= 0)),
  };
}

export interface AbsorptionFigures {
  /** (parent, child) pairs. */
  pairs: number;
  /** Tokens (summed over pairs) on which a parent and its child both fire. */
  coactiveTokens: number;
  /** ABSORPTION_DEFINITION; null when no token has a parent and child together. */
  absorptionRate: number | null;
  /** PARENT_MISS_DEFINITION; null when no parent fires alone. */
  parentMissRate: number | null;
  /** CHILD_LEANING_DEFINITION; null without hierarchies. */
  childLeaning: number | null;
}

/** Whether `latent` has a positive value among token t's entries of `code`. */
function fires(code: HostCode, t: number, latent: number): boolean {
  for (let s = t * code.width; s < (t + 1) * code.width; s++) if (code.indices[s] === latent && code.values[s] > 0) return true;
  return false;
}

/** Absorption on `truth`'s tokens, given the SAE's code of those tokens and the decoder match. */
export function absorptionFigures(planted: PlantedDictionary, match: FeatureMatch, decoder: Float32Array, truth: PlantedBatch, code: HostCode): AbsorptionFigures {
  if (code.batch !== truth.tokens) throw new Error(`absorptionFigures: the code has ${code.batch} tokens, the planted batch ${truth.tokens}`);
  const { d } = planted;
  let coactive = 0;
  let absorbed = 0;
  let alone = 0;
  let missed = 0;
  for (let t = 0; t < truth.tokens; t++) {
    const active = new Set(truth.features.subarray(truth.offsets[t], truth.offsets[t + 1]));
    for (const [parent, children] of planted.childrenOf) {
      if (!active.has(parent)) continue;
      const parentFires = fires(code, t, match.latent[parent]);
      const child = children.find((c) => active.has(c));
      if (child === undefined) {
        alone++;
        if (!parentFires) missed++;
        continue;
      }
      coactive++;
      if (!parentFires && fires(code, t, match.latent[child])) absorbed++;
    }
  }
  const pairs = planted.pairs;
  let leaning = 0;
  for (const { parent, child } of pairs) {
    const row = decoder.subarray(match.latent[child] * d, (match.latent[child] + 1) * d);
    const dir = planted.directions.subarray(parent * d, (parent + 1) * d);
    let dot = 0;
    let norm = 0;
    for (let j = 0; j < d; j++) {
      dot += row[j] * dir[j];
      norm += row[j] * row[j];
    }
    leaning += dot / Math.max(Math.sqrt(norm), 1e-12);
  }
  return {
    pairs: pairs.length,
    coactiveTokens: coactive,
    absorptionRate: coactive === 0 ? null : absorbed / coactive,
    parentMissRate: alone === 0 ? null : missed / alone,
    childLeaning: pairs.length === 0 ? null : leaning / pairs.length,
  };
}

/** The planted features of `batch` as a code (latent i = planted feature i): the truth, read as an SAE. */
export function plantedCode(batch: PlantedBatch): HostCode {
  let width = 1;
  for (let t = 0; t < batch.tokens; t++) width = Math.max(width, batch.offsets[t + 1] - batch.offsets[t]);
  const values = new Float32Array(batch.tokens * width);
  const indices = new Int32Array(batch.tokens * width);
  for (let t = 0; t < batch.tokens; t++) {
    for (let e = batch.offsets[t]; e < batch.offsets[t + 1]; e++) {
      values[t * width + e - batch.offsets[t]] = batch.magnitudes[e];
      indices[t * width + e - batch.offsets[t]] = batch.features[e];
    }
  }
  return { values, indices, batch: batch.tokens, width };
}
