import { beforeAll, describe, expect, it } from 'vitest';
import { plantedDirectionMixture } from '../../../src-main/data/planted.js';
import { initEngine } from '../../../src-main/engine/backend.js';
import { fuzzyGraph } from '../../../src-main/features/fuzzy-graph.js';
import { knnGraph, UnitRows, type KnnGraph } from '../../../src-main/features/knn.js';
import { nnDescent } from '../../../src-main/features/nn-descent.js';
import { defaultEpochs } from '../../../src-main/features/umap-layout.js';
import { knnRecall, samplePoints, trustworthiness } from '../../../src-main/features/umap-quality.js';
import { umapLayout } from '../../../src-main/features/umap.js';
import { seededRandom } from '../../../src-shared/random.js';

beforeAll(async () => {
  await initEngine();
});

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

const row = (g: KnnGraph, i: number) => Array.from(g.indices.subarray(i * g.k, (i + 1) * g.k));

describe('knnGraph', () => {
  it('exact: lists each point first, then its nearest by cosine, within its cluster', async () => {
    const d = 16;
    const graph = await knnGraph(new UnitRows(twoClusters(20, d), 40, d), { k: 5 });
    for (let i = 0; i < 40; i++) {
      expect(row(graph, i)[0]).toBe(i);
      const dist = Array.from(graph.distances.subarray(i * 5, i * 5 + 5));
      expect(dist[0]).toBe(0);
      expect(dist).toEqual([...dist].sort((a, b) => a - b));
      for (const j of row(graph, i)) expect(j < 20).toBe(i < 20);
    }
  });

  it('NN-descent finds ≥ 97% of the true neighbours of a planted mixture, the same graph for the same seed', async () => {
    // 3,000 points in 64 groups × 16 clusters, d 48; measured recall 0.99+ (pynndescent's is similar
    // on such data); the bound leaves room for another seed's trees, not for a broken join.
    const n = 3000;
    const d = 48;
    const rows = new UnitRows(plantedDirectionMixture(n, d, 5), n, d);
    const graph = await nnDescent(rows, { k: 15, seed: 3 });
    const recall = knnRecall(rows, graph, samplePoints(n, 300, 1));
    expect(recall).toBeGreaterThanOrEqual(0.97);
    for (let i = 0; i < n; i++) expect(row(graph, i)[0]).toBe(i);
    const again = await nnDescent(rows, { k: 15, seed: 3 });
    expect(Array.from(again.indices)).toEqual(Array.from(graph.indices));
    // The trees alone (no NN-descent round) fall well short: the rounds are what the bound tests.
    const treesOnly = await nnDescent(rows, { k: 15, seed: 3, iterations: 0 });
    expect(knnRecall(rows, treesOnly, samplePoints(n, 300, 1))).toBeLessThan(recall - 0.05);
  });
});

describe('quality measures', () => {
  /** Unit vectors at angles 0, 0.1, 0.25, 0.45, 0.7: cosine distance grows with the angle between them. */
  const angles = [0, 0.1, 0.25, 0.45, 0.7];
  const circle = new UnitRows(Float32Array.from(angles.flatMap((a) => [Math.cos(a), Math.sin(a)])), 5, 2);
  const line = (xs: number[]) => Float32Array.from(xs.flatMap((x) => [x, 0]));

  it('trustworthiness: 1 for a layout that keeps every neighbourhood, 0.6 for a hand-computed scramble', () => {
    const all = samplePoints(5, 5, 0);
    expect(trustworthiness(circle, line(angles), 2, 1, all)).toBeCloseTo(1, 12);
    // Layout x = 0, 3.1, 1.2, 2, 4.5. Each point's layout neighbour and its rank by angle:
    // 0→2 (rank 2), 1→3 (3), 2→3 (2), 3→2 (1), 4→1 (3); Σ (rank − 1) = 1 + 2 + 1 + 0 + 2 = 6, and
    // T = 1 − 2·6 / (5·1·(2·5 − 3 − 1)) = 1 − 12/30 = 0.6 (sklearn gives the same).
    expect(trustworthiness(circle, line([0, 3.1, 1.2, 2, 4.5]), 2, 1, all)).toBeCloseTo(0.6, 6);
    // Over points 0 and 1 only: 1 − 2·3 / (2·1·6) = 0.5.
    expect(trustworthiness(circle, line([0, 3.1, 1.2, 2, 4.5]), 2, 1, Int32Array.from([0, 1]))).toBeCloseTo(0.5, 6);
  });

  it('recall: the fraction of listed neighbours among the true ones', () => {
    // True nearest: 0→1, 1→0, 2→1, 3→2, 4→3. The graph gets 0, 1 and 4 right, 2 and 3 wrong.
    const graph: KnnGraph = { n: 5, k: 2, indices: Int32Array.from([0, 1, 1, 0, 2, 4, 3, 0, 4, 3]), distances: new Float32Array(10) };
    expect(knnRecall(circle, graph, samplePoints(5, 5, 0))).toBeCloseTo(3 / 5, 12);
  });
});

describe('umapLayout', () => {
  it('lets a cancel arrive between layout epochs (the event loop gets a turn, so the heartbeat is answered too)', async () => {
    const controller = new AbortController();
    const x = twoClusters(20, 16);
    const layout = umapLayout(x, 40, 16, { nNeighbors: 6, nEpochs: 60, threads: 1 }, (stage, done) => {
      if (stage === 'layout' && done === 1) setImmediate(() => controller.abort(new Error('cancelled after the first epoch')));
    }, controller.signal);
    await expect(layout).rejects.toThrow('cancelled after the first epoch');
  });

  it('gives finite 2-D and 3-D coordinates that separate two clusters, the same for the same seed', async () => {
    const d = 16;
    const x = twoClusters(20, d);
    const layout = await umapLayout(x, 40, d, { nNeighbors: 6, nEpochs: 60, threads: 1 });
    expect(layout.xy).toHaveLength(80);
    expect(layout.xyz).toHaveLength(120);
    expect([...layout.xy, ...layout.xyz].every(Number.isFinite)).toBe(true);
    const centroid = (from: number) => [0, 1].map((c) => Array.from({ length: 20 }, (_, i) => layout.xy[(from + i) * 2 + c]).reduce((a, b) => a + b) / 20);
    const [a, b] = [centroid(0), centroid(20)];
    const spread = Math.max(...Array.from({ length: 20 }, (_, i) => Math.hypot(layout.xy[i * 2] - a[0], layout.xy[i * 2 + 1] - a[1])));
    expect(Math.hypot(a[0] - b[0], a[1] - b[1])).toBeGreaterThan(spread);
    const again = await umapLayout(x, 40, d, { nNeighbors: 6, nEpochs: 60, threads: 1 });
    expect(Array.from(again.xy)).toEqual(Array.from(layout.xy));
  });

  it('lays out 2-D and 3-D in two worker threads exactly as in this thread, NN-descent included', async () => {
    const n = 600;
    const d = 24;
    const x = plantedDirectionMixture(n, d, 2, 8, 4);
    const options = { nEpochs: 40, seed: 9, knn: { method: 'nn-descent' as const } };
    const serial = await umapLayout(x, n, d, { ...options, threads: 1 });
    const seen: number[] = [];
    const parallel = await umapLayout(x, n, d, { ...options, threads: 2 }, (stage, done) => stage === 'layout' && seen.push(done));
    expect(parallel.stats.threads).toBe(2);
    expect(Array.from(parallel.xy)).toEqual(Array.from(serial.xy));
    expect(Array.from(parallel.xyz)).toEqual(Array.from(serial.xyz));
    expect(seen.at(-1)).toBe(80);
    // The layout is worth having: most of each point's map neighbours are its neighbours in the data.
    expect(trustworthiness(new UnitRows(x, n, d), serial.xy, 2, 15, samplePoints(n, n, 0))).toBeGreaterThan(0.9);
  });

  it('cancelling stops the layout workers and rejects with the reason', async () => {
    const n = 600;
    const d = 24;
    const controller = new AbortController();
    const layout = umapLayout(plantedDirectionMixture(n, d, 2, 8, 4), n, d, { nEpochs: 100_000, threads: 2 }, (stage) => {
      if (stage === 'layout') controller.abort(new Error('cancelled mid-layout'));
    }, controller.signal);
    await expect(layout).rejects.toThrow('cancelled mid-layout');
  });
});

describe('defaultEpochs', () => {
  it("keeps umap-learn's 500 up to 10,000 points, then 5 million point-epochs, at least 100", () => {
    expect(defaultEpochs(10_000)).toBe(500);
    expect(defaultEpochs(16_384)).toBe(305);
    expect(defaultEpochs(65_536)).toBe(100);
    expect(defaultEpochs(262_144)).toBe(100);
    expect(defaultEpochs(4_000_000)).toBe(100);
  });
});

describe('fuzzyGraph', () => {
  it('gives symmetric memberships in (0, 1], 1 for each point’s nearest neighbour', async () => {
    const graph = fuzzyGraph(await knnGraph(new UnitRows(twoClusters(10, 8), 20, 8), { k: 4 }));
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
