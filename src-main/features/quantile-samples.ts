// Quantile-interval samples (sae_vis): (0, max] split into equal-width intervals, and in each a uniform
// reservoir sample (Vitter's algorithm R, seeded) of the windows with a token whose activation falls
// there, each centred on its strongest such token, so weak activations are shown too. A window counts
// once per interval, so an interval never shows the same text twice; it may appear in several
// intervals, centred on tokens of different strengths. Needs each latent's max, hence the harvest's
// second pass.
import type { WindowSet } from '../data/windows.js';
import { WindowPeaks, type ActivationBatch } from './batch.js';
import { ContextSlots, type CapturedContext, type ContextWidth } from './context-slots.js';
import { seededRandom } from '../../src-shared/random.js';

export interface QuantileConfig {
  /** Equal-width activation intervals over (0, max]; default 10. */
  intervals: number;
  /** Examples kept per interval; default 5. */
  perInterval: number;
  /** Seed of the reservoir draws; default 0. */
  seed: number;
}

export const DEFAULT_QUANTILES: QuantileConfig = { intervals: 10, perInterval: 5, seed: 0 };

export interface IntervalSample {
  interval: number;
  /** Activation bounds of the interval: lo < value ≤ hi (lo inclusive only for the first). */
  lo: number;
  hi: number;
  /** How many windows had a token in the interval over the whole pass. */
  seen: number;
  contexts: CapturedContext[];
}

export class QuantileSampler {
  readonly slots: ContextSlots;
  private readonly seen: Float64Array;
  private readonly random: () => number;
  private readonly peaks: WindowPeaks;

  constructor(private readonly maxAct: Float32Array, readonly config: QuantileConfig, width: ContextWidth, windows: WindowSet) {
    if (!Number.isInteger(config.intervals) || config.intervals < 1) throw new Error(`quantile intervals must be a positive integer, got ${config.intervals}`);
    if (!Number.isInteger(config.perInterval) || config.perInterval < 1) throw new Error(`quantile perInterval must be a positive integer, got ${config.perInterval}`);
    const cells = maxAct.length * config.intervals;
    this.slots = new ContextSlots(cells * config.perInterval, width, windows);
    this.seen = new Float64Array(cells);
    this.random = seededRandom(config.seed);
    this.peaks = new WindowPeaks(cells);
  }

  /** The interval of activation `v` for a latent whose maximum is `max` (v > 0). */
  intervalOf(v: number, max: number): number {
    return Math.min(this.config.intervals - 1, Math.floor((v / max) * this.config.intervals));
  }

  observe(batch: ActivationBatch): void {
    const { intervals, perInterval } = this.config;
    const cellOf = (latent: number, v: number) => latent * intervals + this.intervalOf(v, this.maxAct[latent]);
    this.peaks.forEach(batch, cellOf, (row, latent, v) => {
      const cell = cellOf(latent, v);
      const seen = ++this.seen[cell];
      if (seen <= perInterval) {
        this.slots.capture(cell * perInterval + seen - 1, batch, row, latent, v);
      } else {
        const r = Math.floor(this.random() * seen);
        if (r < perInterval) this.slots.capture(cell * perInterval + r, batch, row, latent, v);
      }
    });
  }

  samples(latent: number): IntervalSample[] {
    const { intervals, perInterval } = this.config;
    const max = this.maxAct[latent];
    const out: IntervalSample[] = [];
    for (let i = 0; i < intervals; i++) {
      const cell = latent * intervals + i;
      const kept = Math.min(perInterval, this.seen[cell]);
      const contexts: CapturedContext[] = [];
      for (let r = 0; r < kept; r++) contexts.push(this.slots.read(cell * perInterval + r));
      contexts.sort((a, b) => b.value - a.value);
      out.push({ interval: i, lo: (max * i) / intervals, hi: (max * (i + 1)) / intervals, seen: this.seen[cell], contexts });
    }
    return out;
  }
}
