// First-pass statistics of every latent: firing count, mean and max activation, and a histogram of
// log10(activation) with fixed edges, so it needs no maximum known in advance.
import { forEachActive, type ActivationBatch } from './batch.js';

/** log10 bin edges of the activation histogram: [LOG_LO, LOG_HI) in BINS bins; outliers go to the end bins. */
export const ACT_HISTOGRAM = { logLo: -3, logHi: 3, bins: 60 } as const;

export interface LatentSummary {
  /** Fraction of tokens on which the latent is > 0. */
  density: number;
  /** Mean activation over the tokens where it fires (0 if it never fires). */
  meanAct: number;
  maxAct: number;
  fires: number;
}

export class LatentStats {
  readonly fires: Float64Array;
  readonly sum: Float64Array;
  readonly max: Float32Array;
  /** [nLatents, ACT_HISTOGRAM.bins] counts. */
  readonly histogram: Uint32Array;
  tokens = 0;

  constructor(readonly nLatents: number) {
    this.fires = new Float64Array(nLatents);
    this.sum = new Float64Array(nLatents);
    this.max = new Float32Array(nLatents);
    this.histogram = new Uint32Array(nLatents * ACT_HISTOGRAM.bins);
  }

  observe(batch: ActivationBatch): void {
    const { logLo, logHi, bins } = ACT_HISTOGRAM;
    const scale = bins / (logHi - logLo);
    forEachActive(batch, (_row, latent, v) => {
      this.fires[latent]++;
      this.sum[latent] += v;
      if (v > this.max[latent]) this.max[latent] = v;
      const bin = Math.min(bins - 1, Math.max(0, Math.floor((Math.log10(v) - logLo) * scale)));
      this.histogram[latent * bins + bin]++;
    });
    this.tokens += batch.tokens.length;
  }

  summary(latent: number): LatentSummary {
    const fires = this.fires[latent];
    return {
      density: this.tokens > 0 ? fires / this.tokens : 0,
      meanAct: fires > 0 ? this.sum[latent] / fires : 0,
      maxAct: this.max[latent],
      fires,
    };
  }

  histogramOf(latent: number): Uint32Array {
    const { bins } = ACT_HISTOGRAM;
    return this.histogram.slice(latent * bins, (latent + 1) * bins);
  }
}
