// Firing statistics: which latents are dead (no firing for config.deadTokensWindow tokens, Gao et
// al. §A.2) and how often each fires (SAELens's sparsity.safetensors).
export class FiringStats {
  constructor(
    readonly tokensSinceFired: Float32Array,
    readonly firingCounts: Float32Array,
    public tokensSeen: number,
  ) {}

  static empty(dSae: number): FiringStats {
    return new FiringStats(new Float32Array(dSae), new Float32Array(dSae), 0);
  }

  /** Records a batch of `tokens` tokens in which latent i fired on counts[i] of them. */
  record(counts: Float32Array, tokens: number): void {
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] > 0) {
        this.tokensSinceFired[i] = 0;
        this.firingCounts[i] += counts[i];
      } else {
        this.tokensSinceFired[i] += tokens;
      }
    }
    this.tokensSeen += tokens;
  }

  /** 1 where a latent is dead. */
  deadMask(window: number): Uint8Array {
    return Uint8Array.from(this.tokensSinceFired, (n) => (n >= window ? 1 : 0));
  }

  deadFraction(window: number): number {
    let dead = 0;
    for (const n of this.tokensSinceFired) if (n >= window) dead++;
    return dead / this.tokensSinceFired.length;
  }

  /** log10(firing frequency + 1e-10) per latent, SAELens's `sparsity` tensor. */
  logSparsity(): Float32Array {
    const seen = Math.max(1, this.tokensSeen);
    return Float32Array.from(this.firingCounts, (c) => Math.log10(c / seen + 1e-10));
  }
}
