// IEEE 754 binary16 (F16) and bfloat16 (BF16) to and from float32. Node 20 has no Float16Array, so
// the bit manipulation is ours. Narrowing rounds to nearest, ties to even, as PyTorch and numpy do;
// values too large for F16 become ±Infinity, NaN stays NaN (quiet), subnormals are kept exactly.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bit pattern of `x` (after rounding `x` to float32). */
function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0];
}

/** The binary16 bit pattern nearest to `x` (ties to even). */
export function float32ToF16Bits(x: number): number {
  const bits = bitsOf(x);
  const sign = (bits >>> 16) & 0x8000;
  const abs = bits & 0x7fffffff;
  if (abs >= 0x7f800000) return abs > 0x7f800000 ? sign | 0x7e00 : sign | 0x7c00;
  // 65520 is halfway between the largest half (65504) and 65536; ties-to-even rounds it up, to inf.
  if (abs >= 0x477ff000) return sign | 0x7c00;
  if (abs < 0x38800000) {
    // Below 2^-14: a half subnormal, mantissa = round(value · 2^24). float32 subnormals (exponent 0)
    // are far below 2^-25 and round to zero through the shift > 24 branch.
    const exponent = abs >>> 23;
    const shift = 126 - exponent;
    if (shift > 24) return sign;
    const mantissa = (abs & 0x7fffff) | 0x800000;
    let q = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (q & 1) === 1)) q += 1;
    return sign | q;
  }
  // Normal: rebias the exponent (127 → 15) and drop 13 mantissa bits; a carry correctly bumps the exponent.
  let h = (abs - 0x38000000) >>> 13;
  const rest = abs & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1;
  return sign | h;
}

/** The bfloat16 bit pattern nearest to `x` (ties to even): the top half of float32, rounded. */
export function float32ToBF16Bits(x: number): number {
  const bits = bitsOf(x);
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

let f16Table: Float32Array | undefined;

/** All 65536 half values as float32: converting a 1.5 B-parameter F16 checkpoint is then one lookup each. */
function f16ToF32Table(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24;
    else if (exponent === 31) table[h] = mantissa === 0 ? sign * Infinity : NaN;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  f16Table = table;
  return table;
}

export function f16BitsToFloat32(h: number): number {
  return f16ToF32Table()[h & 0xffff];
}

export function bf16BitsToFloat32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

/** Widens little-endian F16 values to float32. */
export function f16ArrayToFloat32(halves: Uint16Array): Float32Array {
  const table = f16ToF32Table();
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
  return out;
}

/** Widens bfloat16 values to float32 by placing each in the top half of a float32 word. */
export function bf16ArrayToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) words[i] = halves[i] << 16;
  return out;
}

export function float32ArrayToF16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToF16Bits(values[i]);
  return out;
}

export function float32ArrayToBF16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToBF16Bits(values[i]);
  return out;
}
