import { describe, expect, it } from 'vitest';
import { createSimdOps, simdSupported } from '../../../src-main/engine/simd.js';

describe('hand-assembled WebAssembly SIMD loops', () => {
  it('validates on this engine', () => {
    expect(simdSupported()).toBe(true);
  });

  it('axpy and dot agree with plain loops, including a length that is not a multiple of 4', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const ops = createSimdOps(memory);
    const heap = new Float32Array(memory.buffer);
    const n = 23;
    const [yAt, xAt] = [16, 16 + n]; // float indices; the second is not 16-byte aligned
    for (let i = 0; i < n; i++) {
      heap[yAt + i] = Math.sin(i);
      heap[xAt + i] = Math.cos(3 * i);
    }
    const y = heap.slice(yAt, yAt + n);
    const x = heap.slice(xAt, xAt + n);
    let expectedDot = 0;
    for (let i = 0; i < n; i++) expectedDot += x[i] * y[i];
    expect(ops.dot(4 * xAt, 4 * yAt, n)).toBeCloseTo(expectedDot, 5);
    ops.axpy(4 * yAt, -1.5, 4 * xAt, n);
    for (let i = 0; i < n; i++) expect(heap[yAt + i]).toBeCloseTo(y[i] - 1.5 * x[i], 6);
    expect(heap[yAt + n]).toBe(x[0]); // nothing written past n
    expect(ops.dot(0, 0, 0)).toBe(0);
  });
});
