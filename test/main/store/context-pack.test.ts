import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src-shared/random.js';
import { decodeContextPack, encodeContextPack, type PackedContext } from '../../../src-main/store/context-pack.js';

function sparseActs(random: () => number, length: number, maxIndex: number, value: number): Float32Array {
  const acts = Float32Array.from({ length }, () => (random() < 0.3 ? random() * value : 0));
  acts[maxIndex] = value;
  return acts;
}

describe('context packs', () => {
  it('round-trips every field: tokens exact (16-bit, 32-bit and window references), values exact as float32, activations within float16', () => {
    const random = seededRandom(3);
    const contexts: PackedContext[] = [
      { interval: null, value: Math.fround(7.123), maxIndex: 24, acts: sparseActs(random, 33, 24, Math.fround(7.123)), source: { window: 70_000, offset: 9 }, tokens: null },
      { interval: null, value: Math.fround(3.5), maxIndex: 2, acts: sparseActs(random, 5, 2, Math.fround(3.5)), source: null, tokens: Int32Array.from([50256, 0, 65535, 464, 11]) },
      // A vocabulary beyond 65,535 ids: these tokens need 32 bits.
      { interval: 4, value: Math.fround(0.015625), maxIndex: 0, acts: sparseActs(random, 3, 0, Math.fround(0.015625)), source: null, tokens: Int32Array.from([65536, 200_000, 7]) },
      { interval: 9, value: Math.fround(1.25), maxIndex: 1, acts: Float32Array.from([0, 0.9, 0]), source: { window: 0, offset: 1 }, tokens: null },
    ];
    const decoded = decodeContextPack(encodeContextPack(contexts));
    expect(decoded.map((c) => [c.interval, c.value, c.maxIndex, c.source, c.tokens && Array.from(c.tokens)])).toEqual(
      contexts.map((c) => [c.interval, c.value, c.maxIndex, c.source, c.tokens && Array.from(c.tokens)]),
    );
    decoded.forEach((c, n) => {
      const original = contexts[n].acts;
      expect(c.acts).toHaveLength(original.length);
      original.forEach((a, i) => {
        if (a === 0) expect(c.acts[i]).toBe(0);
        else expect(Math.abs(c.acts[i] - a)).toBeLessThanOrEqual(Math.abs(a) * 2 ** -11);
      });
    });
    // The peak comes back exactly, so the value printed beside a context does not move.
    // (The last context's peak differs from its value, so it is stored like any other activation.)
    expect(decoded.slice(0, 3).map((c) => c.acts[c.maxIndex])).toEqual(contexts.slice(0, 3).map((c) => c.value));
  });

  it('never rounds a token above its context peak', () => {
    // 1000.3 is within float16's spacing (0.5) of the peak 1000.4, and its nearest half (1000.5) lies above it.
    const value = Math.fround(1000.4);
    const [c] = decodeContextPack(encodeContextPack([{ interval: null, value, maxIndex: 1, acts: Float32Array.from([Math.fround(1000.3), value]), source: null, tokens: Int32Array.from([1, 2]) }]));
    expect(c.acts[0]).toBe(1000);
    expect(c.acts[1]).toBe(value);
  });

  it('keeps float32 activations for a context with one beyond float16 range, and costs a fraction of the int32/float32 rows', () => {
    const big: PackedContext = { interval: null, value: 1e5, maxIndex: 0, acts: Float32Array.from([1e5, 7e4, 0.1]), source: null, tokens: Int32Array.from([1, 2, 3]) };
    expect(Array.from(decodeContextPack(encodeContextPack([big]))[0].acts)).toEqual(Array.from(big.acts));
    const random = seededRandom(4);
    const typical: PackedContext = { interval: null, value: 5, maxIndex: 24, acts: sparseActs(random, 33, 24, 5), source: { window: 12, offset: 3 }, tokens: null };
    // 33 tokens and activations as int32 + float32 were 264 bytes before any row overhead.
    expect(encodeContextPack([typical]).length).toBeLessThan(60);
  });

  it('refuses a truncated, padded or unknown pack with what is wrong', () => {
    const pack = encodeContextPack([{ interval: 2, value: 1, maxIndex: 1, acts: Float32Array.from([0.5, 1, 0.25]), source: null, tokens: Int32Array.from([5, 6, 7]) }]);
    expect(() => decodeContextPack(pack.subarray(0, pack.length - 1))).toThrow(/unexpected end of file/);
    // Well-formed DEFLATE around a body that says 5 contexts and holds none, or one byte too many.
    expect(() => decodeContextPack(Buffer.concat([Buffer.from([1]), zlib.deflateRawSync(Buffer.from([5, 0]))]))).toThrow(RangeError);
    const body = zlib.inflateRawSync(pack.subarray(1));
    expect(() => decodeContextPack(Buffer.concat([Buffer.from([1]), zlib.deflateRawSync(Buffer.concat([body, Buffer.from([0])]))]))).toThrow(/1 bytes left over after 1 contexts/);
    const future = Buffer.from(pack);
    future[0] = 9;
    expect(() => decodeContextPack(future)).toThrow(/unknown pack format 9 \(this app reads format 1\)/);
    expect(() => encodeContextPack([{ interval: 70_000, value: 1, maxIndex: 0, acts: new Float32Array(1), source: null, tokens: new Int32Array(1) }])).toThrow(/interval 70000 does not fit in 16 bits/);
  });
});
