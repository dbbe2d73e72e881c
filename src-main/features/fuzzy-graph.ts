// UMAP's fuzzy simplicial set from a kNN graph (McInnes, Healy & Melville 2018, §3.1; umap-learn's
// smooth_knn_dist, compute_membership_strengths and fuzzy_simplicial_set), in typed arrays: umap-js
// builds the same graph in string-keyed Maps, which took minutes for 65k points here.
import type { KnnGraph } from './knn.js';

export interface FuzzyGraph {
  n: number;
  /** Directed edges, both directions of every symmetric pair: head → tail with weight in (0, 1]. */
  head: Int32Array;
  tail: Int32Array;
  weight: Float32Array;
}

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

/** Per point: ρ (distance to the nearest other point) and σ with Σ exp(−(d − ρ)/σ) = log2(k). */
function smoothKnnDistances(knn: KnnGraph): { rho: Float64Array; sigma: Float64Array } {
  const { n, k, distances } = knn;
  const target = Math.log2(k);
  const rho = new Float64Array(n);
  const sigma = new Float64Array(n);
  let meanAll = 0;
  for (const d of distances) meanAll += d / (n * k);
  for (let i = 0; i < n; i++) {
    const dists = distances.subarray(i * k, (i + 1) * k);
    rho[i] = dists.find((d) => d > 0) ?? 0;
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let iter = 0; iter < 64; iter++) {
      let psum = 0;
      for (let j = 1; j < k; j++) {
        const d = dists[j] - rho[i];
        psum += d > 0 ? Math.exp(-d / mid) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    const meanI = dists.reduce((a, b) => a + b, 0) / k;
    sigma[i] = Math.max(mid, MIN_K_DIST_SCALE * (rho[i] > 0 ? meanI : meanAll));
  }
  return { rho, sigma };
}

/** Memberships w_ij = exp(−(d − ρ_i)/σ_i), symmetrised by fuzzy union: w + wᵀ − w ∘ wᵀ. */
export function fuzzyGraph(knn: KnnGraph): FuzzyGraph {
  const { n, k } = knn;
  const { rho, sigma } = smoothKnnDistances(knn);
  // Unordered pair (lo·n + hi) → combined weight; exact in float64 keys up to n ≈ 9e7.
  const pairs = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    for (let j = i * k; j < (i + 1) * k; j++) {
      const other = knn.indices[j];
      if (other === i || other < 0) continue;
      const d = knn.distances[j] - rho[i];
      const w = d <= 0 ? 1 : Math.exp(-d / sigma[i]);
      const key = i < other ? i * n + other : other * n + i;
      const prev = pairs.get(key);
      pairs.set(key, prev === undefined ? w : prev + w - prev * w);
    }
  }
  const edges = 2 * pairs.size;
  const graph: FuzzyGraph = { n, head: new Int32Array(edges), tail: new Int32Array(edges), weight: new Float32Array(edges) };
  let e = 0;
  for (const [key, w] of pairs) {
    const a = Math.floor(key / n);
    const b = key - a * n;
    graph.head[e] = a;
    graph.tail[e] = b;
    graph.weight[e++] = w;
    graph.head[e] = b;
    graph.tail[e] = a;
    graph.weight[e++] = w;
  }
  return graph;
}
