import { describe, expect, it } from 'vitest';
import { drawOrder } from '../../../src-renderer/src/components/map/draw-order.js';
import { seededRandom } from '../../../src-shared/random.js';

/** 9,000 points in one tight cluster and 1,000 scattered over the unit box: indices 0..8999 dense. */
function clusteredPositions(): Float32Array {
  const random = seededRandom(7);
  const positions = new Float32Array(10_000 * 3);
  for (let i = 0; i < 10_000; i++) {
    for (let axis = 0; axis < 3; axis++) positions[3 * i + axis] = i < 9_000 ? 0.5 + 0.01 * random() : 2 * random() - 1;
  }
  return positions;
}

describe('drawOrder', () => {
  it('orders every point exactly once', () => {
    const order = drawOrder(clusteredPositions());
    expect(order.length).toBe(10_000);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });

  it('draws the scattered points early and thins the dense cluster', () => {
    const prefix = drawOrder(clusteredPositions()).subarray(0, 1_000);
    const scattered = Array.from(prefix).filter((i) => i >= 9_000).length;
    // A uniform sample would hold about 100 of them; weighting by 1/√(cell count) keeps most.
    expect(scattered).toBeGreaterThan(600);
    // The cluster is thinned, not dropped: it still shows.
    expect(1_000 - scattered).toBeGreaterThan(20);
  });

  it('repeats for a seed and changes with it', () => {
    const positions = clusteredPositions();
    expect(drawOrder(positions, 3)).toEqual(drawOrder(positions, 3));
    expect(drawOrder(positions, 3)).not.toEqual(drawOrder(positions, 4));
  });
});
