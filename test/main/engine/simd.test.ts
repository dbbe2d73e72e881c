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

describe('row loops over vectors stored back to back', () => {
  it('dots, combine and spread agree with plain loops, with rows of a length that is not a multiple of 4', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const ops = createSimdOps(memory);
    const heap = new Float32Array(memory.buffer);
    const [n, count] = [7, 5];
    const [rowsAt, xAt, outAt, coefsAt] = [100, 200, 300, 400]; // float indices
    for (let i = 0; i < n * count; i++) heap[rowsAt + i] = Math.sin(i);
    for (let i = 0; i < n; i++) heap[xAt + i] = Math.cos(i);
    for (let j = 0; j < count; j++) heap[coefsAt + j] = j - 2.5;
    const rows = heap.slice(rowsAt, rowsAt + n * count);
    const x = heap.slice(xAt, xAt + n);
    const coefs = heap.slice(coefsAt, coefsAt + count);

    ops.dots(4 * outAt, 4 * rowsAt, 4 * xAt, count, n);
    for (let j = 0; j < count; j++) {
      let expected = 0;
      for (let i = 0; i < n; i++) expected += rows[j * n + i] * x[i];
      expect(heap[outAt + j]).toBeCloseTo(expected, 5);
    }
    expect(heap[outAt + count]).toBe(0); // nothing written past count

    ops.combine(4 * xAt, 4 * coefsAt, 4 * rowsAt, count, n);
    for (let i = 0; i < n; i++) {
      let expected = x[i];
      for (let j = 0; j < count; j++) expected += coefs[j] * rows[j * n + i];
      expect(heap[xAt + i]).toBeCloseTo(expected, 5);
    }

    const combined = heap.slice(xAt, xAt + n);
    ops.spread(4 * rowsAt, 4 * coefsAt, 4 * xAt, count, n);
    for (let j = 0; j < count; j++) {
      for (let i = 0; i < n; i++) expect(heap[rowsAt + j * n + i]).toBeCloseTo(rows[j * n + i] + coefs[j] * combined[i], 5);
    }
    expect(heap[rowsAt + n * count]).toBe(0);
  });
});
