import { describe, expect, it } from 'vitest';
import { ACT_HISTOGRAM, LatentStats } from '../../../src-main/features/latent-stats.js';

describe('LatentStats', () => {
  it('computes density, mean and max over firing tokens and bins log10(activation)', () => {
    // 4 tokens, 3 latents: latent 0 fires twice (0.0125, 125; mid-bin, away from float32 rounding at edges), latent 1 once (1), latent 2 never.
    const acts = new Float32Array([0.0125, 0, 0, 0, 1, 0, 125, 0, 0, 0, 0, 0]);
    const stats = new LatentStats(3);
    stats.observe({ tokens: new Int32Array(4), acts, ctx: 2, dSae: 3, firstWindow: 0 });
    const s0 = stats.summary(0);
    expect([s0.density, s0.maxAct, s0.fires]).toEqual([0.5, 125, 2]);
    expect(s0.meanAct).toBeCloseTo((0.0125 + 125) / 2, 5);
    expect(stats.summary(1).density).toBe(0.25);
    expect(stats.summary(2)).toEqual({ density: 0, meanAct: 0, maxAct: 0, fires: 0 });
    const perDecade = ACT_HISTOGRAM.bins / (ACT_HISTOGRAM.logHi - ACT_HISTOGRAM.logLo);
    const h0 = stats.histogramOf(0);
    expect(h0[Math.floor((Math.log10(0.0125) - ACT_HISTOGRAM.logLo) * perDecade)]).toBe(1);
    expect(h0[Math.floor((Math.log10(125) - ACT_HISTOGRAM.logLo) * perDecade)]).toBe(1);
    expect(h0.reduce((a, b) => a + b, 0)).toBe(2);
    expect(stats.histogramOf(1)[Math.floor(-ACT_HISTOGRAM.logLo * perDecade)]).toBe(1);
  });
});
