// Counterparts of latents across SAEs compared on the same tokens. Across checkpoints of one model's
// pretraining the residual stream has no shared basis, so decoder cosines between two checkpoints'
// SAEs mean nothing; what does carry over is *when* a latent fires. So two latents are counterparts
// when their activations correlate (Pearson) over the same tokens, each SAE reading its own model.
// The statistics are accumulated batch by batch (sums, sums of squares, cross products), so the
// tokens never need to be held at once: memory is the [dA, dB] cross-product matrix.
import { tf } from '../engine/backend.js';
import type { ActivationSource } from '../data/activations.js';
import type { SaeRunner } from '../sae/inference.js';
import type { Db } from '../store/open.js';
import { matchSummary } from '../store/queries.js';
import type { CounterpartRecord } from '../store/records.js';

/** Largest dA × dB correlation matrix held at once (256 MB of float32): two 8,192-latent SAEs. */
export const MAX_PAIR_ENTRIES = 2 ** 26;
/**
 * Correlation at or above which a latent counts as present in the other SAE. Gao et al. call latents
 * "similar" across runs from cosine 0.7; activation correlation is the stricter measure (it needs the
 * same tokens, not only a direction), so half of the variance shared (r ≥ 0.7) is the bar here too.
 */
export const PRESENT_AT = 0.7;

/**
 * r = cov(a, b) / (σ(a) σ(b)) from sums over `n` tokens [Σa, Σa², Σb, Σb², Σab]; `combine` pairs a
 * per-latent vector of A with one of B the way the cross sums were taken (an outer product for every
 * pair, elementwise for matched pairs). 0 where a latent never varies (never fired), since a latent
 * that is always silent has no counterpart.
 */
function pearsonFromSums(n: number, sums: tf.Variable[], combine: (a: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor): tf.Tensor {
  if (n === 0) throw new Error('no tokens were added: a correlation needs at least one batch');
  const [sumA, sqA, sumB, sqB, cross] = sums as [tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  return tf.tidy(() => {
    const meanA = sumA.div(n) as tf.Tensor1D; // [dA]
    const meanB = sumB.div(n) as tf.Tensor1D; // [dB]
    const stdA = sqA.div(n).sub(meanA.square()).relu().sqrt() as tf.Tensor1D; // [dA]
    const stdB = sqB.div(n).sub(meanB.square()).relu().sqrt() as tf.Tensor1D; // [dB]
    const cov = cross.div(n).sub(combine(meanA, meanB)); // [dA, dB] or [pairs]
    const scale = combine(stdA, stdB); // [dA, dB] or [pairs]
    // float32 sums leave a little noise in the variance of a latent that never fired; below 1e-6
    // of a unit activation it is treated as silent.
    const live = scale.greater(1e-12);
    return tf.where(live, cov.div(tf.where(live, scale, tf.onesLike(scale))), tf.zerosLike(cov)).clipByValue(-1, 1);
  });
}

/** Pearson correlation of every latent of A with every latent of B, from batches of both on the same tokens. */
export class ActivationCorrelation {
  private tokens = 0;
  private readonly sums: tf.Variable[];

  constructor(
    readonly dA: number,
    readonly dB: number,
  ) {
    if (dA * dB > MAX_PAIR_ENTRIES) throw new Error(`matching ${dA} × ${dB} latents needs a ${dA}×${dB} matrix, more than the ${MAX_PAIR_ENTRIES} entries held at once; compare smaller SAEs`);
    this.sums = [tf.zeros([dA]), tf.zeros([dA]), tf.zeros([dB]), tf.zeros([dB]), tf.zeros([dA, dB])].map((t) => tf.variable(t));
  }

  /** Latent activations of A [tokens, dA] and of B [tokens, dB] on the same tokens, in the same order. */
  add(a: tf.Tensor2D, b: tf.Tensor2D): void {
    if (a.shape[0] !== b.shape[0] || a.shape[1] !== this.dA || b.shape[1] !== this.dB) {
      throw new Error(`correlation batches must be [tokens, ${this.dA}] and [tokens, ${this.dB}] on the same tokens, got [${a.shape}] and [${b.shape}]`);
    }
    const [sumA, sqA, sumB, sqB, cross] = this.sums as [tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable];
    tf.tidy(() => {
      sumA.assign(sumA.add(a.sum(0))); // [dA]
      sqA.assign(sqA.add(a.square().sum(0))); // [dA]
      sumB.assign(sumB.add(b.sum(0))); // [dB]
      sqB.assign(sqB.add(b.square().sum(0))); // [dB]
      cross.assign(cross.add(tf.matMul(a, b, true, false))); // [dA, dB]
    });
    this.tokens += a.shape[0];
  }

  /** Counted tokens so far. */
  get count(): number {
    return this.tokens;
  }

  /**
   * r[i, j] = cov(a_i, b_j) / (σ(a_i) σ(b_j)); 0 where a latent never varies (never fired), since
   * a latent that is always silent has no counterpart. [dA, dB] as a tensor the caller disposes.
   */
  matrix(): tf.Tensor2D {
    return pearsonFromSums(this.tokens, this.sums, (a, b) => tf.outerProduct(a, b)) as tf.Tensor2D;
  }

  dispose(): void {
    for (const v of this.sums) v.dispose();
  }
}

/**
 * Pearson correlation of given pairs of latents (latentsA[p] of A with latentsB[p] of B) on the same
 * tokens: memory grows with the pairs, not with dA × dB, so any two SAEs' matched latents fit.
 */
export class MatchedCorrelation {
  private tokens = 0;
  private readonly sums: tf.Variable[];
  private readonly indexA: tf.Tensor1D;
  private readonly indexB: tf.Tensor1D;

  constructor(latentsA: Int32Array, latentsB: Int32Array) {
    if (latentsA.length !== latentsB.length) throw new Error(`matched pairs need one latent of B per latent of A, got ${latentsA.length} and ${latentsB.length}`);
    const pairs = latentsA.length;
    this.indexA = tf.tensor1d(latentsA, 'int32');
    this.indexB = tf.tensor1d(latentsB, 'int32');
    this.sums = Array.from({ length: 5 }, () => tf.variable(tf.zeros([pairs])));
  }

  /** Latent activations of A [tokens, dA] and of B [tokens, dB] on the same tokens, in the same order. */
  add(a: tf.Tensor2D, b: tf.Tensor2D): void {
    if (a.shape[0] !== b.shape[0]) throw new Error(`correlation batches must cover the same tokens, got ${a.shape[0]} and ${b.shape[0]} rows`);
    const [sumA, sqA, sumB, sqB, cross] = this.sums as [tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable];
    tf.tidy(() => {
      const pa = tf.gather(a, this.indexA, 1); // [tokens, pairs]
      const pb = tf.gather(b, this.indexB, 1); // [tokens, pairs]
      sumA.assign(sumA.add(pa.sum(0))); // [pairs]
      sqA.assign(sqA.add(pa.square().sum(0))); // [pairs]
      sumB.assign(sumB.add(pb.sum(0))); // [pairs]
      sqB.assign(sqB.add(pb.square().sum(0))); // [pairs]
      cross.assign(cross.add(pa.mul(pb).sum(0))); // [pairs]
    });
    this.tokens += a.shape[0];
  }

  get count(): number {
    return this.tokens;
  }

  /** r of each pair, in the order given. */
  correlations(): Float32Array {
    const r = pearsonFromSums(this.tokens, this.sums, (a, b) => tf.mul(a, b)); // [pairs]
    try {
      return r.dataSync() as Float32Array;
    } finally {
      r.dispose();
    }
  }

  dispose(): void {
    for (const v of this.sums) v.dispose();
    this.indexA.dispose();
    this.indexB.dispose();
  }
}

/** The `k` best counterparts of each row of a correlation matrix [rows, cols], best first. */
export function topCounterparts(matrix: tf.Tensor2D, k: number): CounterpartRecord[] {
  const [rows, cols] = matrix.shape;
  const kept = Math.min(k, cols);
  const { values, indices } = tf.topk(matrix, kept);
  try {
    const v = values.dataSync() as Float32Array;
    const i = indices.dataSync() as Int32Array;
    return Array.from({ length: rows }, (_, latent) => ({
      latent,
      others: i.slice(latent * kept, (latent + 1) * kept),
      correlations: v.slice(latent * kept, (latent + 1) * kept),
    }));
  } finally {
    values.dispose();
    indices.dispose();
  }
}

export interface MatchMember {
  /** The member's activations at its hook, from its own model. */
  source: ActivationSource;
  runner: SaeRunner;
}

export interface PairCounterparts {
  /** Index of the other member in the list given. */
  other: number;
  /** Per latent of the reference member, its best counterparts in the other. */
  forward: CounterpartRecord[];
  /** Per latent of the other member, its best counterparts in the reference. */
  backward: CounterpartRecord[];
}

export interface EncodeOptions {
  /** Window indices to measure on, the same for every member. */
  windows: ArrayLike<number>;
  /** Windows per batch. Default 16. */
  batchWindows?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface MatchOptions extends EncodeOptions {
  /** Counterparts kept per latent. Default 5. */
  keep?: number;
}

/**
 * Runs every batch of `windows` through every member's model and SAE, so all members see exactly the
 * same tokens, and hands `visit` their latents [tokens, dSae] in the members' order (disposed after
 * it returns). Members that share an activation source share its forward pass.
 */
export async function forEachEncodedBatch(members: MatchMember[], options: EncodeOptions, visit: (latents: tf.Tensor2D[]) => void): Promise<void> {
  const batch = options.batchWindows ?? 16;
  const total = options.windows.length;
  for (let start = 0; start < total; start += batch) {
    await new Promise((resolve) => setImmediate(resolve)); // lets a cancel (signal) arrive between batches
    options.signal?.throwIfAborted();
    const indices = Array.from({ length: Math.min(batch, total - start) }, (_, j) => options.windows[start + j]!);
    const activations = new Map<ActivationSource, Float32Array>();
    const latents: tf.Tensor2D[] = [];
    try {
      for (const m of members) {
        let acts = activations.get(m.source);
        if (!acts) activations.set(m.source, (acts = await m.source.activations(indices)));
        const x = acts;
        latents.push(tf.tidy(() => m.runner.encode(tf.tensor2d(x, [x.length / m.source.dIn, m.source.dIn])))); // [tokens, dSae]
      }
      visit(latents);
    } finally {
      tf.dispose(latents);
    }
    options.onProgress?.(start + indices.length, total);
  }
}

/**
 * Counterparts between `members[reference]` and every other member, by activation correlation on the
 * same windows (forEachEncodedBatch).
 */
export async function matchByCorrelation(members: MatchMember[], reference: number, options: MatchOptions): Promise<PairCounterparts[]> {
  if (!(reference >= 0 && reference < members.length)) throw new Error(`reference member ${reference} is outside 0..${members.length - 1}`);
  const keep = options.keep ?? 5;
  const ref = members[reference]!;
  const others = members.map((_, i) => i).filter((i) => i !== reference);
  const pairs = others.map((i) => new ActivationCorrelation(ref.runner.spec.dSae, members[i]!.runner.spec.dSae));
  try {
    await forEachEncodedBatch([ref, ...others.map((i) => members[i]!)], options, ([a, ...rest]) => rest.forEach((b, j) => pairs[j]!.add(a!, b)));
    return pairs.map((pair, j) => {
      const forward = pair.matrix();
      try {
        const backward = forward.transpose() as tf.Tensor2D;
        try {
          return { other: others[j]!, forward: topCounterparts(forward, keep), backward: topCounterparts(backward, keep) };
        } finally {
          backward.dispose();
        }
      } finally {
        forward.dispose();
      }
    });
  } finally {
    for (const p of pairs) p.dispose();
  }
}

/** Share of records whose best counterpart reaches `threshold`. */
export function sharePresent(records: CounterpartRecord[], threshold = PRESENT_AT): number {
  if (records.length === 0) return 0;
  return records.filter((r) => (r.correlations[0] ?? -Infinity) >= threshold).length / records.length;
}

/**
 * sharePresent of the records a set's harvest stored: of `saeId`'s latents, the share whose best
 * counterpart in `otherSaeId` reaches `threshold` — for a checkpoints set's final member against an
 * earlier one, the share of final features already there. Null when that pair was never matched.
 */
export function storedSharePresent(db: Db, saeId: number, otherSaeId: number, threshold = PRESENT_AT): number | null {
  const summary = matchSummary(db, saeId, otherSaeId, threshold);
  return summary && summary.latents > 0 ? summary.matched / summary.latents : null;
}
