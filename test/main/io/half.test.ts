import { describe, expect, it } from 'vitest';
import { bf16BitsToFloat32, f16BitsToFloat32, float32ToBF16Bits, float32ToF16Bits } from '../../../src-main/io/half.js';

describe('float32 → F16 (round to nearest, ties to even)', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [0, 0x0000],
    [-0, 0x8000],
    [65504, 0x7bff], // largest finite half
    [65519.99, 0x7bff], // just below the halfway point to 65536
    [65520, 0x7c00], // halfway; the even neighbour is 65536, which overflows to inf
    [1e6, 0x7c00],
    [-1e6, 0xfc00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // halfway between 0 and 2^-24: ties to even → 0
    [3 * 2 ** -25, 0x0002], // 1.5 ulp: ties to even → 2
    [5 * 2 ** -25, 0x0002], // 2.5 ulp: ties to even → 2
    [2 ** -14 - 2 ** -25, 0x0400], // rounds up from the largest subnormal into the smallest normal
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: keeps the even mantissa
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 1+2^-10 and 1+2^-9: goes up to the even one
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie rounds up
    [1e-10, 0x0000],
    [0.1, 0x2e66],
  ])('%d → bits %i', (value, bits) => {
    expect(float32ToF16Bits(value)).toBe(bits);
  });

  it('keeps NaN a NaN', () => {
    const bits = float32ToF16Bits(NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x03ff).not.toBe(0);
  });
});

describe('F16 → float32', () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x8000, -0],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x3555, 0.333251953125],
  ])('bits %i → %d', (bits, value) => {
    expect(Object.is(f16BitsToFloat32(bits), value)).toBe(true);
  });

  it('reads NaN patterns as NaN', () => {
    expect(f16BitsToFloat32(0x7e00)).toBeNaN();
    expect(f16BitsToFloat32(0xfc01)).toBeNaN();
  });

  it('every finite half survives a round trip through float32', () => {
    const mismatches: number[] = [];
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7c00) !== 0x7c00 && float32ToF16Bits(f16BitsToFloat32(h)) !== h) mismatches.push(h);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('float32 ↔ BF16', () => {
  it.each([
    [1, 0x3f80],
    [-1, 0xbf80],
    [1 + 2 ** -8, 0x3f80], // tie: keeps the even mantissa
    [1 + 3 * 2 ** -8, 0x3f82], // tie: goes up to the even one
    [1 + 2 ** -8 + 2 ** -20, 0x3f81],
    [Infinity, 0x7f80],
    [-Infinity, 0xff80],
    [3.4028234663852886e38, 0x7f80], // float32 max rounds past the largest bfloat16, to inf
    [2 ** -133, 0x0001], // smallest bfloat16 subnormal
    [0, 0x0000],
    [-0, 0x8000],
  ])('%d → bits %i', (value, bits) => {
    expect(float32ToBF16Bits(value)).toBe(bits);
  });

  it('keeps NaN a quiet NaN and widens exactly', () => {
    expect(float32ToBF16Bits(NaN)).toBe(0x7fc0);
    expect(bf16BitsToFloat32(0x7fc0)).toBeNaN();
    expect(bf16BitsToFloat32(0x3f80)).toBe(1);
    expect(bf16BitsToFloat32(0xc0a0)).toBe(-5);
    expect(bf16BitsToFloat32(0x0001)).toBe(2 ** -133);
  });
});
