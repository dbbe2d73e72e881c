import { describe, expect, it } from 'vitest';
import { kthLargest, leadingRelu, mergeTopK, splitByRange, thresholded, type HostCode } from '../../../../src-main/sae/sparse/codes.js';

const code = (values: number[], indices: number[], width: number): HostCode => ({
  values: Float32Array.from(values),
  indices: Int32Array.from(indices),
  batch: values.length / width,
  width,
});

describe('host-side code operations', () => {
  it('mergeTopK takes the largest entries per token across shards, in order', () => {
    const a = code([5, 1, 9, 8], [0, 1, 2, 3], 2);
    const b = code([4, 3, 7, 2], [10, 11, 12, 13], 2);
    const merged = mergeTopK([a, b], 3);
    expect(Array.from(merged.values)).toEqual([5, 4, 3, 9, 8, 7]);
    expect(Array.from(merged.indices)).toEqual([0, 10, 11, 2, 3, 12]);
    expect(() => mergeTopK([a, b], 5)).toThrow(/asked for 5 entries per token but the parts hold 4/);
  });

  it('leadingRelu and thresholded zero what top-k and BatchTopK drop', () => {
    const c = code([3, -1, 2, 0.5], [4, 5, 6, 7], 2);
    expect(Array.from(leadingRelu(c, 2).values)).toEqual([3, 0, 2, 0.5]);
    expect(Array.from(leadingRelu(c, 1).indices)).toEqual([4, 6]);
    expect(Array.from(thresholded(c, 1).values)).toEqual([3, 0, 2, 0]);
    expect(kthLargest(c, 2)).toBe(2);
    expect(kthLargest(c, 0)).toBe(Infinity);
  });

  it('splitByRange drops inactive entries and rebases ids per shard', () => {
    const c = code([3, 0, 2, 1, 5, 4], [1, 2, 6, 0, 7, 5], 3);
    const [low, high] = splitByRange(c, [{ offset: 0, count: 5 }, { offset: 5, count: 5 }]);
    expect(low).toMatchObject({ width: 1, batch: 2 });
    expect(Array.from(low.values)).toEqual([3, 1]);
    expect(Array.from(low.indices)).toEqual([1, 0]);
    expect(high.width).toBe(2);
    expect(Array.from(high.values)).toEqual([2, 0, 5, 4]);
    expect(Array.from(high.indices)).toEqual([1, 0, 2, 0]);
  });
});
