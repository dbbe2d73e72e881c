import { describe, expect, it } from 'vitest';
import { TopNTracker } from '../../../src-main/features/top-n.js';
import { randomBatches, toSparse } from './fixtures.js';

describe('TopNTracker', () => {
  it('keeps exactly the N strongest activations per latent, with their contexts', () => {
    const ctx = 8;
    const batches = randomBatches({ batches: 5, windows: 3, ctx, dSae: 7, p: 0.3, seed: 1 });
    const tracker = new TopNTracker(7, 4, { before: 2, after: 1 });
    for (const batch of batches) tracker.observe(batch);

    for (let latent = 0; latent < 7; latent++) {
      const all: Array<{ value: number; window: number; position: number; batch: number; row: number }> = [];
      batches.forEach((batch, b) => {
        for (let row = 0; row < batch.tokens.length; row++) {
          const v = batch.acts[row * 7 + latent];
          if (v > 0) all.push({ value: v, window: batch.firstWindow + Math.floor(row / ctx), position: row % ctx, batch: b, row });
        }
      });
      all.sort((a, b) => b.value - a.value);
      const kept = tracker.top(latent);
      expect(kept.map((c) => c.value)).toEqual(all.slice(0, 4).map((c) => c.value));
      expect(kept.map((c) => [c.window, c.position])).toEqual(all.slice(0, 4).map((c) => [c.window, c.position]));

      const best = all[0];
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

  it('keeps fewer than N when a latent fires less often, and nothing for a dead latent', () => {
    const acts = new Float32Array(4 * 2);
    acts[1 * 2 + 0] = 3;
    acts[3 * 2 + 0] = 5;
    const tracker = new TopNTracker(2, 3, { before: 1, after: 1 });
    tracker.observe({ tokens: new Int32Array([10, 11, 12, 13]), acts, ctx: 4, dSae: 2, firstWindow: 0 });
    expect(tracker.top(0).map((c) => c.value)).toEqual([5, 3]);
    expect(Array.from(tracker.top(0)[0].tokens)).toEqual([12, 13]);
    expect(tracker.top(1)).toEqual([]);
  });

  it('gives the same contexts from a top-k code as from dense activations with at most k active per row', () => {
    // p small enough that no row has more than 7 active latents, so the code loses nothing.
    const batches = randomBatches({ batches: 3, windows: 2, ctx: 8, dSae: 7, p: 0.25, seed: 4 });
    const dense = new TopNTracker(7, 3, { before: 3, after: 2 });
    const sparse = new TopNTracker(7, 3, { before: 3, after: 2 });
    for (const batch of batches) {
      dense.observe(batch);
      sparse.observe(toSparse(batch, 7));
    }
    for (let latent = 0; latent < 7; latent++) expect(sparse.top(latent)).toEqual(dense.top(latent));
    expect(dense.top(0).length).toBeGreaterThan(0);
  });
});
