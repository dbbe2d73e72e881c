// Fixed-capacity storage for captured contexts: a window of tokens around a firing token with one
// latent's activation on each of them. Typed arrays sized once, so memory is known before the pass.
// The tokens are not copied: a slot keeps the window and the span, and reads the tokens back from the
// harvest's WindowSet, which holds them anyway (half a slot's bytes at the default width).
import { windowAt, type WindowSet } from '../data/windows.js';
import { activationAt, type ActivationBatch } from './batch.js';

/** Tokens kept around the firing token: `before` to its left, `after` to its right (clipped to the window). */
export interface ContextWidth {
  before: number;
  after: number;
}

export interface CapturedContext {
  tokens: Int32Array;
  acts: Float32Array;
  /** Index of the firing token inside `tokens`. */
  maxIndex: number;
  /** Activation at the firing token. */
  value: number;
  /** Global window index and position in the window, to find the context again. */
  window: number;
  position: number;
}

export class ContextSlots {
  readonly width: number;
  readonly value: Float32Array;
  private readonly acts: Float32Array;
  private readonly length: Uint16Array;
  private readonly maxIndex: Uint16Array;
  private readonly window: Int32Array;
  private readonly position: Uint16Array;

  /** `windows` are the harvest's: a batch's `firstWindow` counts in them. */
  constructor(readonly capacity: number, readonly shape: ContextWidth, private readonly windows: WindowSet) {
    this.width = shape.before + 1 + shape.after;
    if (this.width > 65535) throw new Error(`context width ${this.width} is too large: before + 1 + after must be ≤ 65535`);
    this.value = new Float32Array(capacity);
    this.acts = new Float32Array(capacity * this.width);
    this.length = new Uint16Array(capacity);
    this.maxIndex = new Uint16Array(capacity);
    this.window = new Int32Array(capacity);
    this.position = new Uint16Array(capacity);
  }

  /** Copies into `slot` the context of batch row `row` for `latent`, which fired there with `value`. */
  capture(slot: number, batch: ActivationBatch, row: number, latent: number, value: number): void {
    const { ctx } = batch;
    const windowInBatch = Math.floor(row / ctx);
    const pos = row - windowInBatch * ctx;
    const start = Math.max(0, pos - this.shape.before);
    const end = Math.min(ctx, pos + this.shape.after + 1);
    const rowBase = windowInBatch * ctx;
    const out = slot * this.width;
    for (let p = start; p < end; p++) {
      this.acts[out + p - start] = activationAt(batch, rowBase + p, latent);
    }
    this.value[slot] = value;
    this.length[slot] = end - start;
    this.maxIndex[slot] = pos - start;
    this.window[slot] = batch.firstWindow + windowInBatch;
    this.position[slot] = pos;
  }

  read(slot: number): CapturedContext {
    const start = slot * this.width;
    const end = start + this.length[slot];
    // Position 0 of a batch row is the window's token after BOS.
    const first = 1 + this.position[slot] - this.maxIndex[slot];
    return {
      tokens: Int32Array.from(windowAt(this.windows, this.window[slot]).subarray(first, first + this.length[slot])),
      acts: this.acts.slice(start, end),
      maxIndex: this.maxIndex[slot],
      value: this.value[slot],
      window: this.window[slot],
      position: this.position[slot],
    };
  }
}
