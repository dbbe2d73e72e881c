// Per-latent top-N activating contexts in one streaming pass: a bounded min-heap of slot indices per
// latent (the weakest kept context at the root), so a candidate costs one comparison unless it wins.
// A candidate is a window, ranked by its maximum for the latent and centred on that token.
import type { WindowSet } from '../data/windows.js';
import { WindowPeaks, type ActivationBatch } from './batch.js';
import { ContextSlots, type CapturedContext, type ContextWidth } from './context-slots.js';

export class TopNTracker {
  readonly slots: ContextSlots;
  /** heap[latent · n + i] is a slot index; slot values order the heap. */
  private readonly heap: Int32Array;
  private readonly count: Int32Array;
  private readonly peaks: WindowPeaks;

  constructor(readonly nLatents: number, readonly n: number, width: ContextWidth, windows: WindowSet) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`top-N size must be a positive integer, got ${n}`);
    this.slots = new ContextSlots(nLatents * n, width, windows);
    this.heap = new Int32Array(nLatents * n);
    this.count = new Int32Array(nLatents);
    this.peaks = new WindowPeaks(nLatents);
  }

  /** Offers each window's peak of each latent to that latent's heap. */
  observe(batch: ActivationBatch): void {
    const values = this.slots.value;
    this.peaks.forEach(batch, (latent) => latent, (row, latent, v) => {
      const c = this.count[latent];
      const h = latent * this.n;
      if (c < this.n) {
        const slot = h + c;
        this.slots.capture(slot, batch, row, latent, v);
        this.heap[h + c] = slot;
        this.count[latent] = c + 1;
        this.siftUp(h, c);
      } else if (v > values[this.heap[h]]) {
        this.slots.capture(this.heap[h], batch, row, latent, v);
        this.siftDown(h, this.n);
      }
    });
  }

  /** The kept contexts of `latent`, strongest first. */
  top(latent: number): CapturedContext[] {
    const h = latent * this.n;
    const out: CapturedContext[] = [];
    for (let i = 0; i < this.count[latent]; i++) out.push(this.slots.read(this.heap[h + i]));
    return out.sort((a, b) => b.value - a.value || a.window - b.window || a.position - b.position);
  }

  private siftUp(h: number, i: number): void {
    const values = this.slots.value;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (values[this.heap[h + parent]] <= values[this.heap[h + i]]) return;
      this.swap(h + parent, h + i);
      i = parent;
    }
  }

  private siftDown(h: number, size: number): void {
    const values = this.slots.value;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < size && values[this.heap[h + left]] < values[this.heap[h + smallest]]) smallest = left;
      if (right < size && values[this.heap[h + right]] < values[this.heap[h + smallest]]) smallest = right;
      if (smallest === i) return;
      this.swap(h + smallest, h + i);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const t = this.heap[a];
    this.heap[a] = this.heap[b];
    this.heap[b] = t;
  }
}
