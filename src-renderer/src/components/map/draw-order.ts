// Level of detail for the map: the order points are drawn in, such that any prefix of it is a
// density-weighted sample of the whole map. While the camera moves, the scene draws only a prefix
// (MapScene's motion budget) and, at rest, all of it. Weighting by 1/√(points in the point's cell)
// thins the dense clusters much more than the sparse outskirts, so a small cluster or a lone point
// does not vanish from a moving view while a cluster of thousands loses most of its overplotted dots.
//
// Weighted sampling without replacement (Efraimidis & Spirakis 2006): each point draws an arrival
// time E/w with E ~ Exp(1); sorted by arrival, every prefix is such a sample. The sort is a counting
// sort over quantised times, so 344k points order in a few milliseconds.
import { seededRandom } from '../../../../src-shared/random.js';

const GRID = 32;
const BUCKETS = 1 << 16;

/** `positions` [count * 3] in the unit box [-1, 1]³ (MapPoints); returns point indices, [count]. */
export function drawOrder(positions: Float32Array, seed = 1): Uint32Array {
  const count = positions.length / 3;
  const cell = new Uint32Array(count);
  const perCell = new Uint32Array(GRID ** 3);
  const bin = (v: number): number => Math.min(GRID - 1, Math.max(0, Math.floor(((v + 1) / 2) * GRID)));
  for (let i = 0; i < count; i++) {
    const c = (bin(positions[3 * i]!) * GRID + bin(positions[3 * i + 1]!)) * GRID + bin(positions[3 * i + 2]!);
    cell[i] = c;
    perCell[c]!++;
  }
  const random = seededRandom(seed);
  const bucket = new Uint32Array(count);
  const starts = new Uint32Array(BUCKETS + 1);
  for (let i = 0; i < count; i++) {
    const arrival = -Math.log(1 - random()) * Math.sqrt(perCell[cell[i]!]!);
    // t / (t + 1) maps [0, ∞) onto [0, 1) keeping the order, so one bucket scale fits every map.
    const b = Math.min(BUCKETS - 1, Math.floor((arrival / (arrival + 1)) * BUCKETS));
    bucket[i] = b;
    starts[b + 1]!++;
  }
  for (let b = 0; b < BUCKETS; b++) starts[b + 1]! += starts[b]!;
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[starts[bucket[i]!]!++] = i;
  return order;
}
