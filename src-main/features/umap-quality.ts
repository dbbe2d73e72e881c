// How good a UMAP is, measured on a sample of points against exact distances in the full width:
// the recall of its neighbour graph, and the trustworthiness of a layout (Venna & Kaski 2001; the
// definition of sklearn.manifold.trustworthiness, which bench/umap-quality.py checks this against).
import type { KnnGraph, UnitRows } from './knn.js';
import { seededRandom } from '../../src-shared/random.js';

/** `size` distinct points out of n, drawn from `seed`, ascending (all points when size ≥ n). */
export function samplePoints(n: number, size: number, seed: number): Int32Array {
  if (size >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const random = seededRandom(seed);
  const chosen = new Set<number>();
  while (chosen.size < size) chosen.add(Math.floor(random() * n));
  return Int32Array.from([...chosen].sort((a, b) => a - b));
}

/**
 * Mean fraction of each sampled point's k − 1 graph neighbours (itself left out) that are among its
 * true k − 1 nearest. A neighbour tied with the true (k − 1)-th counts as found: duplicate rows make
 * the true list ambiguous.
 */
export function knnRecall(rows: UnitRows, graph: KnnGraph, sample: Int32Array): number {
  const { k } = graph;
  const distances = new Float32Array(rows.n);
  let found = 0;
  for (const i of sample) {
    rows.distancesFrom(i, distances);
    distances[i] = Infinity;
    const kth = kthSmallest(distances, k - 1);
    for (let c = 1; c < k; c++) {
      const j = graph.indices[i * k + c];
      if (j >= 0 && j !== i && distances[j] <= kth) found++;
    }
  }
  return found / (sample.length * (k - 1));
}

/**
 * Trustworthiness T(k) of `layout` [n, dim] against cosine distances of `rows`, over the sampled points:
 *   T = 1 − 2 / (s·k·(2n − 3k − 1)) · Σ_{i ∈ sample} Σ_{j ∈ U_i} (r(i, j) − k),
 * U_i the layout's k nearest to i that are not among its k nearest in the full width, r(i, j) the rank
 * of j by full-width distance from i (nearest = 1). With every point sampled (s = n) this is sklearn's
 * figure exactly; a sample estimates it without the n² distance matrix.
 */
export function trustworthiness(rows: UnitRows, layout: Float32Array, dim: number, k: number, sample: Int32Array): number {
  const { n } = rows;
  if (layout.length !== n * dim) throw new Error(`trustworthiness: layout has ${layout.length} values, expected ${n} points × ${dim}`);
  if (2 * n - 3 * k - 1 <= 0) throw new Error(`trustworthiness: k ${k} is too large for ${n} points (needs 2n − 3k − 1 > 0)`);
  const high = new Float32Array(n);
  const low = new Float32Array(n);
  let penalty = 0;
  for (const i of sample) {
    rows.distancesFrom(i, high);
    high[i] = Infinity;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < dim; c++) s += (layout[i * dim + c] - layout[j * dim + c]) ** 2;
      low[j] = s;
    }
    low[i] = Infinity;
    const highKth = kthSmallest(high, k);
    const lowKth = kthSmallest(low, k);
    for (let j = 0; j < n; j++) {
      if (low[j] > lowKth || high[j] <= highKth) continue;
      // r(i, j): 1 + the points strictly closer to i than j in the full width.
      let rank = 1;
      const dj = high[j];
      for (let l = 0; l < n; l++) if (high[l] < dj) rank++;
      penalty += rank - k;
    }
  }
  return 1 - (2 / (sample.length * k * (2 * n - 3 * k - 1))) * penalty;
}

/** The k-th smallest value of `values` (1-based), without reordering them. */
function kthSmallest(values: Float32Array, k: number): number {
  const copy = Float32Array.from(values);
  copy.sort();
  return copy[k - 1];
}
