// Firing statistics: which latents are dead (no firing for config.deadTokensWindow tokens, Gao et
// al. §A.2) and how often each fires (SAELens's sparsity.safetensors). FiringStats keeps them in host
// memory (the wasm step reads its codes anyway); DeviceFiring keeps them as tensors for the step that
// stays on the device, and is read back only with the SAE's state.
import { tf } from '../engine/backend.js';
import { replaceValue, variableOf } from './variables.js';

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

export class DeviceFiring {
  private readonly tokensSinceFired: tf.Variable<tf.Rank.R1>; // [dSae]
  private readonly firingCounts: tf.Variable<tf.Rank.R1>; // [dSae]
  tokensSeen: number;
  /** The longest silence of any latent when tokensSeen was `silenceSeenAt`, as last read back. */
  private silence: { longest: number; seenAt: number };

  constructor(host: FiringStats) {
    this.tokensSinceFired = variableOf(host.tokensSinceFired, [host.tokensSinceFired.length]) as tf.Variable<tf.Rank.R1>;
    this.firingCounts = variableOf(host.firingCounts, [host.firingCounts.length]) as tf.Variable<tf.Rank.R1>;
    this.tokensSeen = host.tokensSeen;
    this.silence = { longest: host.tokensSinceFired.reduce((a, b) => Math.max(a, b), 0), seenAt: host.tokensSeen };
  }

  /**
   * False when no latent can be dead yet, known without reading the device: no silence grows faster
   * than the tokens seen since the longest one was last read (`learnSilence`).
   */
  mayHaveDead(window: number): boolean {
    return this.silence.longest + (this.tokensSeen - this.silence.seenAt) >= window;
  }

  /** The longest silence now, to be read back later with the step's metrics and given to learnSilence. */
  longestSilence(): tf.Scalar {
    return this.tokensSinceFired.max();
  }

  learnSilence(longest: number, seenAt: number): void {
    if (seenAt > this.silence.seenAt) this.silence = { longest, seenAt };
  }

  /** As FiringStats.record, with counts [dSae] a tensor (not disposed). */
  record(counts: tf.Tensor1D, tokens: number): void {
    const fired = tf.tidy(() => counts.greater(0));
    replaceValue(this.tokensSinceFired, tf.tidy(() => tf.where(fired, tf.zerosLike(counts), this.tokensSinceFired.add(tokens))));
    replaceValue(this.firingCounts, tf.tidy(() => this.firingCounts.add(counts)));
    fired.dispose();
    this.tokensSeen += tokens;
  }

  /** 1 where a latent is dead, as float32 [dSae]. */
  deadMask(window: number): tf.Tensor1D {
    return tf.tidy(() => this.tokensSinceFired.greaterEqual(window).toFloat() as tf.Tensor1D);
  }

  deadFraction(window: number): tf.Scalar {
    return tf.tidy(() => this.deadMask(window).mean());
  }

  toHost(): FiringStats {
    return new FiringStats(this.tokensSinceFired.dataSync() as Float32Array, this.firingCounts.dataSync() as Float32Array, this.tokensSeen);
  }

  dispose(): void {
    this.tokensSinceFired.dispose();
    this.firingCounts.dispose();
  }
}

/** Firing statistics as tensors where an SAE's step stays on the device (off wasm); undefined on wasm. */
export function deviceFiringFor(host: FiringStats): DeviceFiring | undefined {
  return tf.getBackend() === 'wasm' ? undefined : new DeviceFiring(host);
}

/** After setState: the device copy of the restored `host` statistics, in place of `previous` (freed). */
export function restoredDeviceFiring(previous: DeviceFiring | undefined, host: FiringStats): DeviceFiring | undefined {
  previous?.dispose();
  return previous ? new DeviceFiring(host) : undefined;
}
