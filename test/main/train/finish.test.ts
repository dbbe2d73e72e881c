import { describe, expect, it } from 'vitest';
import { paperDeadFraction } from '../../../src-main/train/finish.js';

describe('paperDeadFraction (Gao et al.: not fired in the last 10M training tokens, or the whole run)', () => {
  it('in a run shorter than 10M tokens, counts only latents that never fired', () => {
    // The training dead window of a 5,000-token run is 1,250 tokens; the reported figure is not.
    const state = { tokensSeen: 5000, tokensSinceFired: Float32Array.from([5000, 4999, 1250, 0]) };
    expect(paperDeadFraction(state)).toBe(0.25);
  });

  it('in a longer run, counts latents silent for the last 10M tokens', () => {
    const state = { tokensSeen: 30_000_000, tokensSinceFired: Float32Array.from([10_000_000, 9_999_000, 30_000_000, 0]) };
    expect(paperDeadFraction(state)).toBe(0.5);
  });
});
