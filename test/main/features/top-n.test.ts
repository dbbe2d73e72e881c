import { describe, expect, it } from 'vitest';
import { TopNTracker } from '../../../src-main/features/top-n.js';
import { randomBatches, toSparse, windowsOf } from './fixtures.js';

describe('TopNTracker', () => {
  it('keeps the N windows with the strongest peak per latent, each centred on its peak', () => {
    const ctx = 8;
    const batches = randomBatches({ batches: 5, windows: 3, ctx, dSae: 7, p: 0.3, seed: 1 });
    const tracker = new TopNTracker(7, 4, { before: 2, after: 1 }, windowsOf(batches));
    for (const batch of batches) tracker.observe(batch);

    for (let latent = 0; latent < 7; latent++) {
      // The reference: each window's maximum for the latent (its earliest position on ties).
      const peaks: Array<{ value: number; window: number; position: number; batch: number; row: number }> = [];
      batches.forEach((batch, b) => {
        for (let row = 0; row < batch.tokens.length; row++) {
          const v = batch.acts[row * 7 + latent];
          const window = batch.firstWindow + Math.floor(row / ctx);
          const last = peaks.at(-1);
          if (v <= 0) continue;
          if (last?.window === window) {
            if (v > last.value) Object.assign(last, { value: v, position: row % ctx, row });
          } else {
            peaks.push({ value: v, window, position: row % ctx, batch: b, row });
          }
        }
      });
      peaks.sort((a, b) => b.value - a.value);
      const kept = tracker.top(latent);
      expect(kept.map((c) => c.value)).toEqual(peaks.slice(0, 4).map((c) => c.value));
      expect(kept.map((c) => [c.window, c.position])).toEqual(peaks.slice(0, 4).map((c) => [c.window, c.position]));

      const best = peaks[0];
      const batch = batches[best.batch];
      const start = Math.max(0, best.position - 2);
      const end = Math.min(ctx, best.position + 2);
      const windowRow = best.row - best.position;
      expect(Array.from(kept[0].tokens)).toEqual(Array.from(batch.tokens.slice(windowRow + start, windowRow + end)));
      const acts = [];
      for (let p = start; p < end; p++) acts.push(batch.acts[(windowRow + p) * 7 + latent]);
      expect(Array.from(kept[0].acts)).toEqual(acts);
      expect(kept[0].maxIndex).toBe(best.position - start);
      expect(kept[0].acts[kept[0].maxIndex]).toBe(best.value);
    }
  });

  it('stores a window with two peaks once, ranked by and centred on its maximum', () => {
    // Window 0 fires at 4.5 then 5 (a repeated phrase); window 1 peaks at 4. Per token, the top 2
    // would be window 0 twice; per window they are window 0 at 5, then window 1.
    const acts = new Float32Array([0, 4.5, 0, 5, 0, 0, 4, 0]);
    const batch = { tokens: new Int32Array([10, 11, 12, 11, 20, 21, 22, 23]), acts, ctx: 4, dSae: 1, firstWindow: 0 };
    const tracker = new TopNTracker(1, 2, { before: 3, after: 0 }, windowsOf([batch]));
    tracker.observe(batch);
    const top = tracker.top(0);
    expect(top.map((c) => [c.window, c.position, c.value])).toEqual([
      [0, 3, 5],
      [1, 2, 4],
    ]);
    expect(Array.from(top[0].acts)).toEqual([0, 4.5, 0, 5]);
    expect(top[0].maxIndex).toBe(3);
  });

  it('keeps fewer than N when a latent fires less often, and nothing for a dead latent', () => {
    const acts = new Float32Array(4 * 2);
    acts[1 * 2 + 0] = 3;
    acts[3 * 2 + 0] = 5;
    const batch = { tokens: new Int32Array([10, 11, 12, 13]), acts, ctx: 2, dSae: 2, firstWindow: 0 };
    const tracker = new TopNTracker(2, 3, { before: 1, after: 1 }, windowsOf([batch]));
    tracker.observe(batch);
    expect(tracker.top(0).map((c) => c.value)).toEqual([5, 3]);
    expect(Array.from(tracker.top(0)[0].tokens)).toEqual([12, 13]);
    expect(tracker.top(1)).toEqual([]);
  });

  it('gives the same contexts from a top-k code as from dense activations with at most k active per row', () => {
    // p small enough that no row has more than 7 active latents, so the code loses nothing.
    const batches = randomBatches({ batches: 3, windows: 2, ctx: 8, dSae: 7, p: 0.25, seed: 4 });
    const dense = new TopNTracker(7, 3, { before: 3, after: 2 }, windowsOf(batches));
    const sparse = new TopNTracker(7, 3, { before: 3, after: 2 }, windowsOf(batches));
    for (const batch of batches) {
      dense.observe(batch);
      sparse.observe(toSparse(batch, 7));
    }
    for (let latent = 0; latent < 7; latent++) expect(sparse.top(latent)).toEqual(dense.top(latent));
    expect(dense.top(0).length).toBeGreaterThan(0);
  });
});
