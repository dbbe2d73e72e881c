import { describe, expect, it } from 'vitest';
import { fuzzyGraph } from '../../../src-main/features/fuzzy-graph.js';
import { knnGraph } from '../../../src-main/features/knn.js';
import { seededRandom } from '../../../src-shared/random.js';
import { umapLayout } from '../../../src-main/features/umap.js';

/** Two tight bundles of directions around two orthogonal axes. */
function twoClusters(perCluster: number, d: number): Float32Array {
  const random = seededRandom(11);
  const x = new Float32Array(2 * perCluster * d);
  for (let i = 0; i < 2 * perCluster; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = 0.1 * (random() - 0.5);
    x[i * d + (i < perCluster ? 0 : 1)] += 1;
  }
  return x;
}

describe('knnGraph', () => {
  it('lists each point first, then its nearest by cosine; the reduced search keeps the clusters', async () => {
    const d = 16;
    const x = twoClusters(20, d);
    const exact = await knnGraph(x, 40, d, { k: 5, block: 9 });
    const reduced = await knnGraph(x, 40, d, { k: 5, block: 9, dims: 4, reduceAbove: 10 });
    for (let i = 0; i < 40; i++) {
      expect(exact.indices[i][0]).toBe(i);
      expect(exact.distances[i][0]).toBeCloseTo(0, 5);
      expect(exact.distances[i]).toEqual([...exact.distances[i]].sort((a, b) => a - b));
      for (const graph of [exact, reduced]) for (const j of graph.indices[i]) expect(j < 20).toBe(i < 20);
    }
  });
});

describe('umapLayout', () => {
  it('lets a cancel arrive between layout epochs (the event loop gets a turn, so the heartbeat is answered too)', async () => {
    const controller = new AbortController();
    const x = twoClusters(20, 16);
    const layout = umapLayout(x, 40, 16, { nNeighbors: 6, nEpochs: 60 }, (stage, done) => {
      if (stage === '2d' && done === 1) setImmediate(() => controller.abort(new Error('cancelled after the first epoch')));
    }, controller.signal);
    await expect(layout).rejects.toThrow('cancelled after the first epoch');
  });

  it('gives finite 2-D and 3-D coordinates that separate two clusters, the same for the same seed', async () => {
    const d = 16;
    const x = twoClusters(20, d);
    const layout = await umapLayout(x, 40, d, { nNeighbors: 6, nEpochs: 60 });
    expect(layout.xy).toHaveLength(80);
    expect(layout.xyz).toHaveLength(120);
    expect([...layout.xy, ...layout.xyz].every(Number.isFinite)).toBe(true);
    const centroid = (from: number) => [0, 1].map((c) => Array.from({ length: 20 }, (_, i) => layout.xy[(from + i) * 2 + c]).reduce((a, b) => a + b) / 20);
    const [a, b] = [centroid(0), centroid(20)];
    const spread = Math.max(...Array.from({ length: 20 }, (_, i) => Math.hypot(layout.xy[i * 2] - a[0], layout.xy[i * 2 + 1] - a[1])));
    expect(Math.hypot(a[0] - b[0], a[1] - b[1])).toBeGreaterThan(spread);
    const again = await umapLayout(x, 40, d, { nNeighbors: 6, nEpochs: 60 });
    expect(Array.from(again.xy)).toEqual(Array.from(layout.xy));
  });
});

describe('fuzzyGraph', () => {
  it('gives symmetric memberships in (0, 1], 1 for each point’s nearest neighbour', async () => {
    const x = twoClusters(10, 8);
    const graph = fuzzyGraph(await knnGraph(x, 20, 8, { k: 4 }));
    const weights = new Map<string, number>();
    for (let e = 0; e < graph.head.length; e++) weights.set(`${graph.head[e]}:${graph.tail[e]}`, graph.weight[e]);
    for (const [key, w] of weights) {
      const [i, j] = key.split(':');
      expect(weights.get(`${j}:${i}`)).toBe(w);
      expect(w).toBeGreaterThan(0);
      expect(w).toBeLessThanOrEqual(1);
    }
    for (let i = 0; i < 20; i++) {
      const out = [...weights].filter(([key]) => key.startsWith(`${i}:`)).map(([, w]) => w);
      expect(Math.max(...out)).toBeCloseTo(1, 6);
    }
  });
});
