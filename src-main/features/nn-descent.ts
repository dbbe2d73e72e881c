// Approximate k-nearest neighbours by cosine: NN-descent (Dong, Moses & Li 2011, "Efficient
// k-nearest neighbor graph construction for generic similarity measures") seeded by a forest of
// random-projection trees, the scheme of pynndescent, which umap-learn uses, in typed arrays. A
// neighbour's neighbour is likely a neighbour: each round compares, for every point, the pairs among
// its candidate neighbours (forward and reverse, sampled) and keeps the closer, until few lists change.
// Serial and driven by one seeded generator, so a seed gives the same graph every time.
import type { KnnGraph, UnitRows } from './knn.js';
import { seededRandom } from '../../src-shared/random.js';

export interface NnDescentOptions {
  /** Neighbours per point, counting the point itself. */
  k: number;
  seed: number;
  /**
   * Random-projection trees that seed the graph; default pynndescent's 5 + round(√n / 20), but at most
   * 8: the rounds recover what more trees would add (recall 0.998 with 8 trees against 0.999 with 11
   * at 16k planted points), and pynndescent's 31 trees at 262k would cost more than the rounds.
   */
  trees?: number;
  /** Most points in a tree's leaf; default pynndescent's max(10, k). */
  leafSize?: number;
  /** Most new (and most old) candidates joined per point and round; default pynndescent's min(60, k). */
  maxCandidates?: number;
  /** Most rounds; default pynndescent's max(5, round(log2 n)). */
  iterations?: number;
  /** Stop once a round changes fewer than delta · n · k list entries; default 0.001 (pynndescent's). */
  delta?: number;
  /** Called after each tree and each round: done of total (trees + iterations). */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Points handled between event-loop turns: a round at 262k points takes seconds, and the compute process must keep answering. */
const POINTS_PER_TURN = 4096;

const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * n bounded max-heaps of (key, index, flag) with `size` slots each, the largest key at the root:
 * a point's current neighbours keyed by distance, or its sampled candidates keyed by a random priority.
 */
class Heaps {
  readonly keys: Float32Array;
  readonly ids: Int32Array;
  readonly flags: Uint8Array;

  constructor(
    n: number,
    readonly size: number,
  ) {
    this.keys = new Float32Array(n * size).fill(Infinity);
    this.ids = new Int32Array(n * size).fill(-1);
    this.flags = new Uint8Array(n * size);
  }

  reset(): void {
    this.keys.fill(Infinity);
    this.ids.fill(-1);
  }

  /** The largest key in i's heap (Infinity while a slot is free). */
  top(i: number): number {
    return this.keys[i * this.size];
  }

  has(i: number, id: number): boolean {
    const base = i * this.size;
    for (let c = 0; c < this.size; c++) if (this.ids[base + c] === id) return true;
    return false;
  }

  /** Puts `id` in i's heap if its key beats the largest and it is not there yet; 1 if it went in. */
  push(i: number, key: number, id: number, flag: number): number {
    const { keys, ids, flags, size } = this;
    const base = i * size;
    if (!(key < keys[base]) || this.has(i, id)) return 0;
    let pos = 0;
    for (;;) {
      const left = 2 * pos + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && keys[base + right] > keys[base + left] ? right : left;
      if (keys[base + child] <= key) break;
      keys[base + pos] = keys[base + child];
      ids[base + pos] = ids[base + child];
      flags[base + pos] = flags[base + child];
      pos = child;
    }
    keys[base + pos] = key;
    ids[base + pos] = id;
    flags[base + pos] = flag;
    return 1;
  }
}

export async function nnDescent(rows: UnitRows, options: NnDescentOptions): Promise<KnnGraph> {
  const { n } = rows;
  const k = options.k;
  if (k < 2 || k > n) throw new Error(`NN-descent needs 2 ≤ k ≤ n, got k ${k} for ${n} points`);
  const slots = k - 1; // the point itself is added in front at the end
  const trees = options.trees ?? Math.min(8, 5 + Math.round(Math.sqrt(n) / 20));
  const leafSize = Math.max(options.leafSize ?? Math.max(10, k), 2);
  const maxCandidates = options.maxCandidates ?? Math.min(60, k);
  const iterations = options.iterations ?? Math.max(5, Math.round(Math.log2(n)));
  const delta = options.delta ?? 0.001;
  const random = seededRandom(options.seed);
  const total = trees + iterations;
  const heaps = new Heaps(n, slots);

  const order = new Int32Array(n);
  const scratch = new Int32Array(n);
  for (let t = 0; t < trees; t++) {
    options.signal?.throwIfAborted();
    for (let i = 0; i < n; i++) order[i] = i;
    joinTreeLeaves(rows, heaps, order, scratch, leafSize, random);
    options.onProgress?.(t + 1, total);
    await turn();
  }
  // A point in a small leaf of every tree can still have free slots: random points fill them (pynndescent's init_random).
  for (let i = 0; i < n; i++) {
    while (heaps.top(i) === Infinity) {
      const j = Math.floor(random() * n);
      if (j !== i) heaps.push(i, rows.distance(i, j), j, 1);
    }
  }

  const fresh = new Heaps(n, maxCandidates);
  const old = new Heaps(n, maxCandidates);
  for (let round = 0; round < iterations; round++) {
    fresh.reset();
    old.reset();
    // Each neighbour pair goes into both endpoints' candidates (reverse neighbours too), sampled by
    // one random priority per pair; new entries are those not yet joined.
    for (let i = 0; i < n; i++) {
      for (let c = i * slots; c < (i + 1) * slots; c++) {
        const j = heaps.ids[c];
        const priority = random();
        const target = heaps.flags[c] ? fresh : old;
        target.push(i, priority, j, 0);
        target.push(j, priority, i, 0);
      }
    }
    for (let i = 0; i < n; i++) {
      for (let c = i * slots; c < (i + 1) * slots; c++) if (heaps.flags[c] && fresh.has(i, heaps.ids[c])) heaps.flags[c] = 0;
    }
    let updates = 0;
    for (let i = 0; i < n; i++) {
      if (i % POINTS_PER_TURN === 0) {
        await turn();
        options.signal?.throwIfAborted();
      }
      const base = i * maxCandidates;
      for (let a = base; a < base + maxCandidates; a++) {
        const p = fresh.ids[a];
        if (p < 0) continue;
        for (let b = a + 1; b < base + maxCandidates; b++) updates += join(rows, heaps, p, fresh.ids[b]);
        for (let b = base; b < base + maxCandidates; b++) updates += join(rows, heaps, p, old.ids[b]);
      }
    }
    options.onProgress?.(trees + round + 1, total);
    if (updates <= delta * n * slots) break;
  }
  options.onProgress?.(total, total);
  return sortedGraph(heaps, n, k);
}

/** Compares p and q, and offers each to the other's list; how many lists changed. */
function join(rows: UnitRows, heaps: Heaps, p: number, q: number): number {
  if (q < 0 || q === p) return 0;
  const d = rows.distance(p, q);
  if (d >= heaps.top(p) && d >= heaps.top(q)) return 0;
  return heaps.push(p, d, q, 1) + heaps.push(q, d, p, 1);
}

/**
 * One angular random-projection tree (pynndescent's angular_random_projection_split): a node splits by
 * the hyperplane through the origin normal to u_a − u_b, two of its points drawn at random; every
 * pair within a leaf is compared.
 */
function joinTreeLeaves(rows: UnitRows, heaps: Heaps, order: Int32Array, scratch: Int32Array, leafSize: number, random: () => number): void {
  const { d } = rows;
  const normal = new Float32Array(d);
  const stack = [0, order.length];
  while (stack.length > 0) {
    const hi = stack.pop()!;
    const lo = stack.pop()!;
    const size = hi - lo;
    if (size <= leafSize) {
      for (let x = lo; x < hi; x++) {
        for (let y = x + 1; y < hi; y++) {
          const p = order[x];
          const q = order[y];
          const d = rows.distance(p, q);
          heaps.push(p, d, q, 1);
          heaps.push(q, d, p, 1);
        }
      }
      continue;
    }
    const a = order[lo + Math.floor(random() * size)];
    let b = order[lo + Math.floor(random() * (size - 1))];
    if (b === a) b = order[hi - 1];
    for (let c = 0; c < d; c++) normal[c] = rows.rows[a * d + c] - rows.rows[b * d + c];
    rows.setSpare(normal);
    let left = lo;
    let right = hi;
    for (let x = lo; x < hi; x++) {
      const p = order[x];
      const margin = rows.spareDot(p);
      if (margin > 0 || (margin === 0 && random() < 0.5)) order[left++] = p;
      else scratch[--right] = p;
    }
    for (let x = right; x < hi; x++) order[x] = scratch[x];
    // A split that sends every point one way (duplicates, or a and b identical) halves the node instead.
    const mid = left === lo || left === hi ? lo + (size >> 1) : left;
    stack.push(lo, mid, mid, hi);
  }
}

function sortedGraph(heaps: Heaps, n: number, k: number): KnnGraph {
  const slots = k - 1;
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const entry = Array.from({ length: slots }, (_, c) => c);
  for (let i = 0; i < n; i++) {
    const base = i * slots;
    entry.sort((x, y) => heaps.keys[base + x] - heaps.keys[base + y] || heaps.ids[base + x] - heaps.ids[base + y]);
    indices[i * k] = i;
    for (let c = 0; c < slots; c++) {
      indices[i * k + 1 + c] = heaps.ids[base + entry[c]];
      distances[i * k + 1 + c] = Math.max(0, heaps.keys[base + entry[c]]);
    }
  }
  return { n, k, indices, distances };
}
