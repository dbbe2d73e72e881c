// The harvest's passes over the corpus windows. GPT-2 runs once per batch of windows for every SAE
// of the site. Pass 1 gathers each latent's density, mean, max, histogram and random-projected
// activation profile (activation-profile.ts); pass 2, knowing the max, keeps the top-N contexts and
// the quantile-interval samples. Memory is fixed up front by the latent counts and the config (heaps
// and reservoirs), never by the corpus length. When every SAE has a top-k code, pass 1 spills the
// codes to disk and pass 2 reads them back (code-spill.ts): the same batches in the same order, so
// the same result, without GPT-2 and the encoders again.
import { tf } from '../engine/backend.js';
import { prefetched, type ActivationSource } from '../data/activations.js';
import { ActivationProfiles, profileDims, TokenProjection } from './activation-profile.js';
import path from 'node:path';
import { windowAt, type WindowSet } from '../data/windows.js';
import { MAX_DENSE_ELEMENTS } from '../sae/bounds.js';
import type { ActivationBatch } from './batch.js';
import { CodeSpill, freeDiskBytes, spillBytes } from './code-spill.js';
import type { HarvestConfig } from './harvest-config.js';
import { LatentStats } from './latent-stats.js';
import { PhaseClock } from './phase-clock.js';
import { QuantileSampler } from './quantile-samples.js';
import { TopNTracker } from './top-n.js';

/** What the harvest needs from an SAE (sae/inference.ts's SaeRunner fits). */
export interface LatentEncoder {
  /** Dense latent activations: [tokens, dIn] → [tokens, dSae]. */
  encode(x: tf.Tensor2D): tf.Tensor2D;
  /** Per-token top-k SAEs: the k kept latents, [tokens, k] values and indices. Preferred when present. */
  encodeTopK?: (x: tf.Tensor2D) => { values: tf.Tensor2D; indices: tf.Tensor2D };
  readonly spec: { dSae: number; k?: number };
}

export interface HarvestProgress {
  stage: 'statistics' | 'contexts';
  windowsDone: number;
  windowsTotal: number;
  /** Over both passes, 0..1. */
  fraction: number;
  tokensPerSecond: number;
  etaSeconds: number;
}

export interface LatentHarvest {
  stats: LatentStats;
  /** Random-projected activation profiles over the first config.profile.tokens tokens (pass 1). */
  profiles: ActivationProfiles;
  top: TopNTracker;
  quantiles: QuantileSampler;
}

export interface PassOptions {
  onProgress?: (p: HarvestProgress) => void;
  signal?: AbortSignal;
  /**
   * A file (the feature database) beside which pass 1 may spill the top-k codes for pass 2; without
   * it, or when an SAE has no top-k code or the disk lacks room, pass 2 runs GPT-2 and the encoders again.
   */
  spillBeside?: string;
  /** Times each part of the passes (the bench's breakdown). */
  clock?: PhaseClock;
}

/** Harvests windows [0, windows.count) for every encoder; all encoders read the same activations. */
export async function harvestWindows(
  source: ActivationSource,
  windows: WindowSet,
  encoders: LatentEncoder[],
  config: HarvestConfig,
  options: PassOptions = {},
): Promise<LatentHarvest[]> {
  const stats = encoders.map((e) => new LatentStats(e.spec.dSae));
  const dims = encoders.map((e) => profileDims(e.spec.dSae, config.profile));
  const projection = new TokenProjection(config.profile, Math.max(...dims));
  const profiles = encoders.map((e, i) => new ActivationProfiles(e.spec.dSae, projection, dims[i]!));
  const started = performance.now();
  let tokensDone = 0;
  const tokensPerPass = windows.count * (windows.contextSize - 1);

  const clock = options.clock ?? new PhaseClock();
  const spill = openSpill(encoders, tokensPerPass, options.spillBeside);

  /** The codes of one batch, from the encoders on its activations, or from the spill in pass 2. */
  const encoded = async (count: number, activations: AsyncIterator<Float32Array> | undefined): Promise<Array<Pick<ActivationBatch, 'acts' | 'sparse'>>> => {
    if (!activations) {
      const rows = count * (windows.contextSize - 1);
      return clock.time('spill', () => encoders.map((e) => ({ sparse: { ...spill!.read(rows * e.spec.k!), k: e.spec.k! } })));
    }
    const acts = (await clock.timeAsync('forward', () => activations.next())).value as Float32Array;
    const x = tf.tensor2d(acts, [acts.length / source.dIn, source.dIn]); // [tokens, dIn]
    try {
      const codes = [];
      for (const encoder of encoders) codes.push(await clock.timeAsync(`encode ${encoder.spec.dSae}`, () => encodeBatch(encoder, x)));
      return codes;
    } finally {
      x.dispose();
    }
  };

  const pass = async (stage: HarvestProgress['stage'], observe: (encoder: number, batch: ActivationBatch) => void) => {
    const fromSpill = stage === 'contexts' && spill !== undefined;
    // Over the model pool, the next batches' activations are computed while this one is encoded.
    const activations = fromSpill ? undefined : prefetched((indices) => source.activations(indices), windowBatches(windows.count, config.batchWindows), source.parallelism ?? 0)[Symbol.asyncIterator]();
    for (let first = 0; first < windows.count; first += config.batchWindows) {
      options.signal?.throwIfAborted();
      const count = Math.min(config.batchWindows, windows.count - first);
      const tokens = windowTokensWithoutBos(windows, first, count);
      const codes = await encoded(count, activations);
      for (let e = 0; e < encoders.length; e++) {
        const batch = { tokens, ctx: windows.contextSize - 1, dSae: encoders[e].spec.dSae, firstWindow: first, ...codes[e] };
        if (stage === 'statistics' && spill) clock.time('spill', () => spill.write(batch.sparse!.values, batch.sparse!.indices));
        clock.time(stage === 'statistics' ? 'statistics' : 'contexts', () => observe(e, batch));
      }
      tokensDone += tokens.length;
      const seconds = (performance.now() - started) / 1000;
      const rate = tokensDone / Math.max(seconds, 1e-9);
      options.onProgress?.({
        stage,
        windowsDone: first + count,
        windowsTotal: windows.count,
        fraction: tokensDone / (2 * tokensPerPass),
        tokensPerSecond: rate,
        etaSeconds: (2 * tokensPerPass - tokensDone) / rate,
      });
    }
  };

  try {
    await pass('statistics', (e, batch) => {
      stats[e].observe(batch);
      profiles[e].observe(batch, batch.firstWindow * batch.ctx);
    });
    const results = encoders.map((e, i) => ({
      stats: stats[i],
      profiles: profiles[i],
      top: new TopNTracker(e.spec.dSae, config.topN, config.context, windows),
      quantiles: new QuantileSampler(stats[i].max, config.quantiles, config.context, windows),
    }));
    await pass('contexts', (e, batch) => {
      results[e].top.observe(batch);
      results[e].quantiles.observe(batch);
    });
    return results;
  } finally {
    spill?.dispose();
  }
}

/** A spill beside `beside` when every encoder has a top-k code and the disk has room for it (with a quarter to spare). */
function openSpill(encoders: LatentEncoder[], tokens: number, beside: string | undefined): CodeSpill | undefined {
  if (beside === undefined || !encoders.every((e) => e.encodeTopK && e.spec.k !== undefined)) return undefined;
  const needed = spillBytes(tokens, encoders.map((e) => e.spec.k!));
  return freeDiskBytes(path.dirname(path.resolve(beside))) > 1.25 * needed ? new CodeSpill(beside) : undefined;
}

/**
 * The encoder's output on the host: the sparse top-k code when the SAE has one, else dense. Top-k codes
 * are encoded a block of rows at a time so the [rows, dSae] pre-activations stay under
 * MAX_DENSE_ELEMENTS (64 MiB) however large the SAE: rows are independent, so the code is the same.
 */
export async function encodeBatch(encoder: LatentEncoder, x: tf.Tensor2D, block = encodeBlockRows(encoder.spec.dSae)): Promise<Pick<ActivationBatch, 'acts' | 'sparse'>> {
  if (encoder.encodeTopK) {
    const [rows] = x.shape;
    let values: Float32Array | undefined;
    let indices: Int32Array | undefined;
    let k = 0;
    for (let start = 0; start < rows; start += block) {
      const n = Math.min(block, rows - start);
      const code = tf.tidy(() => encoder.encodeTopK!(n === rows ? x : x.slice([start, 0], [n, -1]))); // [n, k] each
      try {
        k = code.values.shape[1];
        values ??= new Float32Array(rows * k);
        indices ??= new Int32Array(rows * k);
        const [v, i] = await Promise.all([code.values.data(), code.indices.data()]);
        values.set(v as Float32Array, start * k);
        indices.set(i as Int32Array, start * k);
      } finally {
        tf.dispose([code.values, code.indices]);
      }
    }
    return { sparse: { values: values!, indices: indices!, k } };
  }
  const z = encoder.encode(x); // [tokens, dSae]
  try {
    return { acts: (await z.data()) as Float32Array };
  } finally {
    z.dispose();
  }
}

/** Windows [0, count) in batches of `size`, in order. */
function* windowBatches(count: number, size: number): Generator<number[]> {
  for (let first = 0; first < count; first += size) yield Array.from({ length: Math.min(size, count - first) }, (_, i) => first + i);
}

/** Rows per top-k encode block for an SAE of `dSae` latents. */
export function encodeBlockRows(dSae: number): number {
  return Math.max(1, Math.floor(MAX_DENSE_ELEMENTS / dSae));
}

/** Tokens of windows [first, first + count) with each window's BOS dropped, as the activations are. */
function windowTokensWithoutBos(windows: WindowSet, first: number, count: number): Int32Array {
  const ctx = windows.contextSize;
  const out = new Int32Array(count * (ctx - 1));
  for (let i = 0; i < count; i++) out.set(windowAt(windows, first + i).subarray(1), i * (ctx - 1));
  return out;
}
