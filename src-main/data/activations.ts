// The activation stream: windows of tokens → GPT-2 forward up to the hook → activations with the BOS
// position dropped (as SAELens does with prepend_bos) → a shuffling buffer that mixes the tokens of
// many windows → training batches of B tokens. Every size of a family draws from the same stream,
// so GPT-2 runs once per window however many SAEs train.
//
// Resume is exact without saving the buffer: the buffer is filled, shuffled and drained as a block,
// and the stream state is the position and RNG states at the start of the current fill plus the
// number of batches served from it. Restoring refills the same block (the forward pass is
// deterministic) and skips the served batches. Over a source that computes on worker threads (the
// model pool), the next fill's windows are picked and computed while this fill is being served.
import { tf } from '../engine/backend.js';
import type { HookName } from '../../src-shared/hooks.js';
import { Rng, type RngState } from './rng.js';
import { windowAt, type WindowSet } from './windows.js';

/** What the stream needs from a GPT-2 (the model module's Gpt2 satisfies it). */
export interface HookedModel {
  config: { nEmbd: number; nInner?: number };
  run(tokens: tf.Tensor2D, options: { cache?: HookName[]; stopAt?: HookName }): { cache: Map<HookName, tf.Tensor> };
}

/** Produces activations for windows; the model or an on-disk cache. */
export interface ActivationSource {
  /** Width of one activation vector. */
  readonly dIn: number;
  /** Activations of `windows` (indices into the WindowSet), BOS dropped: [windows · (contextSize − 1), dIn]. */
  activations(windows: ArrayLike<number>): Promise<Float32Array>;
  /** Requests it computes off this thread at once, so worth asking for ahead of use (prefetched); 0 or absent: none. */
  readonly parallelism?: number;
}

/** Width of the activation at a hook: the MLP's hidden width for mlp.hook_post, d_model elsewhere. */
export function hookWidth(hook: HookName, config: HookedModel['config']): number {
  if (hook.endsWith('attn.hook_pattern')) throw new Error(`hook "${hook}" holds attention patterns [head, query, key], not per-token vectors; pick a residual, attn_out, mlp_out or mlp.hook_post hook`);
  if (hook.endsWith('mlp.hook_post')) return config.nInner ?? 4 * config.nEmbd;
  return config.nEmbd;
}

/**
 * The activations at `hook` of `n` windows of `ctx` tokens (`ids`, row-major), BOS dropped:
 * [n, ctx − 1, dIn], for the caller to read and dispose. Stops the forward at the hook's layer.
 * The in-thread source and the model pool's workers both run groups through this one function, so
 * both compute the same ops on the same groups and agree to the bit.
 */
export function hookActivations(model: HookedModel, ids: Int32Array, n: number, ctx: number, hook: HookName, dIn: number): tf.Tensor3D {
  const tokens = tf.tensor2d(ids, [n, ctx], 'int32'); // [batch, pos]
  // The cache outlives any tidy (the model keeps it for the caller), so every entry is disposed here.
  let cache: Map<HookName, tf.Tensor> | undefined;
  try {
    cache = model.run(tokens, { cache: [hook], stopAt: hook }).cache;
    const act = cache.get(hook);
    if (!act) throw new Error(`the model returned no activation for hook "${hook}"`);
    return act.slice([0, 1, 0], [n, ctx - 1, dIn]) as tf.Tensor3D; // [batch, pos − 1, d]
  } finally {
    tokens.dispose();
    if (cache) for (const t of cache.values()) t.dispose();
  }
}

/** Computes groups of windows somewhere else (model/pool.ts's worker threads): a group's [n, ctx − 1, dIn] activations, row-major. */
export interface GroupRunner {
  /** Groups it computes at once; a caller keeps this many requests in flight to keep it busy. */
  readonly parallelism: number;
  hookActivations(ids: Int32Array, n: number, ctx: number, hook: HookName): Promise<Float32Array>;
}

/**
 * Runs the model on groups of `modelBatch` windows, stopping at the hook's layer: in this thread,
 * or, given a `runner`, on its worker threads, every group of a request at once. The groups and so
 * the values are the same either way.
 */
export class ModelActivationSource implements ActivationSource {
  readonly dIn: number;
  /** Forward passes run so far (tests count them to prove a family shares one pass). */
  forwardCalls = 0;

  constructor(
    private readonly model: HookedModel,
    private readonly windows: WindowSet,
    private readonly hook: HookName,
    /** Windows per forward pass; bounds the memory of one pass. */
    private readonly modelBatch = 32,
    private readonly runner?: GroupRunner,
  ) {
    this.dIn = hookWidth(hook, model.config);
  }

  /** Requests worth computing ahead of the one being used: none in this thread, where computing ahead only delays it. */
  get parallelism(): number {
    return this.runner?.parallelism ?? 0;
  }

  async activations(indices: ArrayLike<number>): Promise<Float32Array> {
    const ctx = this.windows.contextSize;
    const perWindow = (ctx - 1) * this.dIn;
    const out = new Float32Array(indices.length * perWindow);
    const groups: Array<Promise<void>> = [];
    for (let start = 0; start < indices.length; start += this.modelBatch) {
      const n = Math.min(this.modelBatch, indices.length - start);
      const ids = new Int32Array(n * ctx);
      for (let i = 0; i < n; i++) ids.set(windowAt(this.windows, indices[start + i]), i * ctx);
      this.forwardCalls++;
      if (this.runner) {
        groups.push(this.runner.hookActivations(ids, n, ctx, this.hook).then((acts) => out.set(acts, start * perWindow)));
        continue;
      }
      const acts = hookActivations(this.model, ids, n, ctx, this.hook, this.dIn);
      try {
        out.set((await acts.data()) as Float32Array, start * perWindow);
      } finally {
        acts.dispose();
      }
    }
    await Promise.all(groups);
    return out;
  }
}

/**
 * `compute` of each request of `requests`, in order, with up to `ahead` later requests computing
 * meanwhile: while the caller encodes one batch on this thread, the model pool's workers compute
 * the next ones (ahead = their number keeps every one busy). With ahead 0 each request starts only
 * once the previous one is used. Stopping early (an abort) leaves the requests in flight to finish unread.
 */
export async function* prefetched<Q, R>(compute: (request: Q) => Promise<R>, requests: Iterable<Q>, ahead: number): AsyncGenerator<R> {
  const queue: Array<Promise<R>> = [];
  const iterator = requests[Symbol.iterator]();
  const refill = (inFlight: number) => {
    while (queue.length < inFlight) {
      const next = iterator.next();
      if (next.done) return;
      const pending = compute(next.value);
      // Settled later or never read (when the caller stops): never an unhandled rejection.
      pending.catch(() => {});
      queue.push(pending);
    }
  };
  for (;;) {
    refill(Math.max(1, ahead));
    if (queue.length === 0) return;
    const acts = await queue.shift()!;
    refill(ahead);
    yield acts;
  }
}

/** Where the stream is; JSON-serialisable, stored in checkpoints. */
export interface StreamState {
  /** Epoch (pass over the training windows) at the start of the current fill. */
  epoch: number;
  /** Position in that epoch's window order where the current fill starts. */
  cursor: number;
  /** Window-order RNG state just before that epoch's order was drawn. */
  epochRng: RngState;
  /** Token-shuffle RNG state just before the current fill was shuffled. */
  fillRng: RngState;
  /** Batches already served from the current fill (0: no fill loaded). */
  served: number;
  /** Batches served since the start of training. */
  batches: number;
}

export interface StreamOptions {
  /** Tokens per training batch (B). */
  batchTokens: number;
  /** Batches mixed together in the shuffling buffer. Default 8. */
  bufferBatches?: number;
  /** Batches the run will draw in total; the last fill computes only what is still needed. */
  totalBatches: number;
  seed: number;
}

const TOKEN_RNG_SALT = 0x5bd1e995;

type FillStart = Omit<StreamState, 'served' | 'batches'>;

/** A fill whose windows are picked and whose activations are being computed. */
interface PendingFill {
  start: FillStart;
  batches: number;
  windows: number;
  acts: Promise<Float32Array>;
}

export class ActivationStream {
  private readonly batchTokens: number;
  private readonly bufferBatches: number;
  private readonly totalBatches: number;
  private readonly tokensPerWindow: number;
  private orderRng: Rng;
  private tokenRng: Rng;
  private epoch = 0;
  private epochRng: RngState;
  private order: Uint32Array;
  private cursor = 0;
  private fillStart: FillStart | undefined;
  /** The next fill, computing while this one is served: only over a source that computes off this thread. */
  private pending: PendingFill | undefined;
  private buffer: Float32Array | undefined;
  private tokenOrder: Uint32Array | undefined;
  private served = 0;
  private batchesInFill = 0;
  private batches = 0;

  constructor(
    private readonly source: ActivationSource,
    private readonly trainWindows: Uint32Array,
    contextSize: number,
    options: StreamOptions,
  ) {
    if (trainWindows.length === 0) throw new Error('the activation stream has no training windows: the corpus is shorter than one window');
    if (!Number.isInteger(options.batchTokens) || options.batchTokens < 1) throw new Error(`batchTokens must be a positive integer, got ${options.batchTokens}`);
    this.batchTokens = options.batchTokens;
    this.bufferBatches = options.bufferBatches ?? 8;
    this.totalBatches = options.totalBatches;
    this.tokensPerWindow = contextSize - 1;
    this.orderRng = Rng.fromSeed(options.seed);
    this.tokenRng = Rng.fromSeed(options.seed ^ TOKEN_RNG_SALT);
    this.epochRng = this.orderRng.state();
    this.order = this.drawOrder();
  }

  get dIn(): number {
    return this.source.dIn;
  }

  private drawOrder(): Uint32Array {
    return this.orderRng.shuffle(Uint32Array.from(this.trainWindows));
  }

  private startEpoch(epoch: number, rng: RngState): void {
    this.epoch = epoch;
    this.orderRng = Rng.fromState(rng);
    this.epochRng = rng;
    this.order = this.drawOrder();
    this.cursor = 0;
  }

  state(): StreamState {
    if (this.fillStart && this.served < this.batchesInFill) return { ...this.fillStart, served: this.served, batches: this.batches };
    if (this.pending) return { ...this.pending.start, served: 0, batches: this.batches };
    return { epoch: this.epoch, cursor: this.cursor, epochRng: this.epochRng, fillRng: this.tokenRng.state(), served: 0, batches: this.batches };
  }

  /** Puts the stream where `state()` was taken; refills the interrupted buffer if one was loaded. */
  async restore(state: StreamState): Promise<void> {
    this.startEpoch(state.epoch, state.epochRng);
    this.cursor = state.cursor;
    this.tokenRng = Rng.fromState(state.fillRng);
    this.buffer = undefined;
    this.fillStart = undefined;
    this.pending = undefined;
    this.batches = state.batches - state.served;
    if (state.served > 0) {
      await this.fill();
      this.served = state.served;
      this.batches = state.batches;
    }
  }

  /** Picks the windows of the fill after `before` batches and starts computing their activations. */
  private pickFill(before: number): PendingFill {
    const remaining = this.totalBatches - before;
    if (remaining <= 0) throw new Error(`the activation stream is exhausted: all ${this.totalBatches} batches were served`);
    const start = { epoch: this.epoch, cursor: this.cursor, epochRng: this.epochRng, fillRng: this.tokenRng.state() };
    const batches = Math.min(this.bufferBatches, remaining);
    const nWindows = Math.ceil((batches * this.batchTokens) / this.tokensPerWindow);
    const picked = new Uint32Array(nWindows);
    for (let i = 0; i < nWindows; i++) {
      if (this.cursor === this.order.length) this.startEpoch(this.epoch + 1, this.orderRng.state());
      picked[i] = this.order[this.cursor++];
    }
    const acts = this.source.activations(picked);
    // A fill computed ahead and never used (a cancelled run) must not end as an unhandled rejection.
    acts.catch(() => {});
    return { start, batches, windows: nWindows, acts };
  }

  private async fill(): Promise<void> {
    const fill = this.pending ?? this.pickFill(this.batches);
    this.pending = undefined;
    this.fillStart = fill.start;
    this.buffer = undefined;
    this.buffer = await fill.acts;
    const tokens = fill.windows * this.tokensPerWindow;
    this.tokenOrder = new Uint32Array(tokens);
    for (let i = 0; i < tokens; i++) this.tokenOrder[i] = i;
    this.tokenRng.shuffle(this.tokenOrder);
    this.served = 0;
    this.batchesInFill = fill.batches;
    // Picked after this fill's shuffle, so its start state is what state() would say once this fill is drained.
    if ((this.source.parallelism ?? 0) > 0 && this.batches + fill.batches < this.totalBatches) this.pending = this.pickFill(this.batches + fill.batches);
  }

  /** The next training batch, row-major [batchTokens, dIn]. */
  async next(): Promise<Float32Array> {
    if (!this.buffer || this.served >= this.batchesInFill) await this.fill();
    const d = this.source.dIn;
    const out = new Float32Array(this.batchTokens * d);
    const base = this.served * this.batchTokens;
    for (let j = 0; j < this.batchTokens; j++) {
      const row = this.tokenOrder![base + j];
      out.set(this.buffer!.subarray(row * d, (row + 1) * d), j * d);
    }
    this.served++;
    this.batches++;
    return out;
  }
}
