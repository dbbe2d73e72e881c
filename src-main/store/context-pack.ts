// One latent's contexts (top and quantile samples) as one BLOB, `context_packs.pack`. One row per
// context cost ~280 bytes (int32 tokens, float32 activations, row and index overhead); at 90
// contexts a latent that is 25 KB, ~9 GB for a 336k-latent family. The pack keeps the same fields at
// a fraction of that:
// - tokens are not repeated: a context cut from a stored corpus window (`windows`, once per window
//   and SAE) is a window index and an offset; only a context without one carries its tokens inline,
//   as uint16 when every id fits (GPT-2's 50,257 do) and int32 otherwise.
// - activations are float16 (relative error ≤ 2⁻¹¹ ≈ 0.05%, below the 3 significant digits the
//   feature page prints and the 8-bit shade it paints) and sparse: a bitmap of non-zero positions,
//   then only those values, since a latent is zero on most tokens around its peak. The peak itself is
//   restored exactly from `value` (float32), so the number printed beside each context is unchanged,
//   and a token that would round above its peak rounds down instead (error ≤ 2⁻¹⁰ there).
//   A context with an activation beyond float16's range keeps float32 activations.
// - the whole is deflated (raw DEFLATE, level 1): the headers repeat (intervals, lengths, window
//   indices' high bytes) and deflate takes another quarter off a typical pack; inflating one costs
//   under a millisecond of a feature page's budget of 50.
//
// Layout: u8 format (1), then raw DEFLATE of, little-endian: u16 context count, then per context
//   u16 interval (0xFFFF = top context), f32 value, u16 length, u16 maxIndex, u8 flags,
//   windowed ? (u32 window, u16 offset) : tokens (length × u16 or i32),
//   bitmap (⌈length / 8⌉ bytes, bit i = token i non-zero), then each set bit's activation (f16 or f32).
import zlib from 'node:zlib';
import { f16BitsToFloat32, float32ToF16Bits } from '../io/half.js';

export const PACK_FORMAT = 1;
const TOP = 0xffff;
const F16_MAX = 65504;

const FLAG_WINDOWED = 1;
const FLAG_WIDE_TOKENS = 2;
const FLAG_F32_ACTS = 4;
/** acts[maxIndex] equals `value`, so it is not stored and comes back exact. */
const FLAG_PEAK_IS_VALUE = 8;

export interface PackedContext {
  /** Quantile interval, or null for a top context. */
  interval: number | null;
  value: number;
  maxIndex: number;
  acts: Float32Array;
  /** Where the tokens are: [offset, offset + acts.length) of a stored window; null when `tokens` holds them. */
  source: { window: number; offset: number } | null;
  tokens: Int32Array | null;
}

function u16(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new Error(`context pack: ${what} ${value} does not fit in 16 bits`);
  return value;
}

function encodedSize(c: PackedContext, nonZero: number, wideTokens: boolean, f32Acts: boolean): number {
  const length = c.acts.length;
  const tokens = c.source ? 6 : length * (wideTokens ? 4 : 2);
  return 11 + tokens + Math.ceil(length / 8) + nonZero * (f32Acts ? 4 : 2);
}

/** `a` as float16, rounded down instead of up past `peak`, so no token of a context reads stronger than its peak (the page outlines the peak as the strongest). */
function halfAtMost(a: number, peak: number): number {
  const h = float32ToF16Bits(a);
  return a > 0 && a <= peak && f16BitsToFloat32(h) > peak ? h - 1 : h;
}

export function encodeContextPack(contexts: readonly PackedContext[]): Buffer {
  u16(contexts.length, 'context count');
  const plans = contexts.map((c) => {
    if (!c.source && (!c.tokens || c.tokens.length !== c.acts.length)) throw new Error(`context pack: a context without a window needs ${c.acts.length} tokens, got ${c.tokens?.length ?? 'none'}`);
    if (c.source && (c.source.window < 0 || c.source.window > 0xffffffff)) throw new Error(`context pack: window index ${c.source.window} does not fit in 32 bits`);
    const peakIsValue = c.acts[c.maxIndex] === Math.fround(c.value);
    let nonZero = 0;
    let f32Acts = false;
    c.acts.forEach((a, i) => {
      if (a === 0 || (peakIsValue && i === c.maxIndex)) return;
      nonZero++;
      if (!(Math.abs(a) <= F16_MAX)) f32Acts = true;
    });
    const wideTokens = !c.source && c.tokens!.some((t) => t < 0 || t > 0xffff);
    return { c, nonZero, peakIsValue, f32Acts, wideTokens };
  });
  const size = 2 + plans.reduce((sum, p) => sum + encodedSize(p.c, p.nonZero, p.wideTokens, p.f32Acts), 0);
  const out = Buffer.alloc(size);
  let at = out.writeUInt16LE(contexts.length, 0);
  for (const { c, peakIsValue, f32Acts, wideTokens } of plans) {
    const length = c.acts.length;
    at = out.writeUInt16LE(c.interval === null ? TOP : u16(c.interval, 'interval'), at);
    at = out.writeFloatLE(c.value, at);
    at = out.writeUInt16LE(u16(length, 'context length'), at);
    at = out.writeUInt16LE(u16(c.maxIndex, 'maxIndex'), at);
    at = out.writeUInt8((c.source ? FLAG_WINDOWED : 0) | (wideTokens ? FLAG_WIDE_TOKENS : 0) | (f32Acts ? FLAG_F32_ACTS : 0) | (peakIsValue ? FLAG_PEAK_IS_VALUE : 0), at);
    if (c.source) {
      at = out.writeUInt32LE(c.source.window, at);
      at = out.writeUInt16LE(u16(c.source.offset, 'window offset'), at);
    } else {
      for (const t of c.tokens!) at = wideTokens ? out.writeInt32LE(t, at) : out.writeUInt16LE(t, at);
    }
    const bitmap = at;
    at += Math.ceil(length / 8);
    c.acts.forEach((a, i) => {
      if (a === 0 || (peakIsValue && i === c.maxIndex)) return;
      out[bitmap + (i >> 3)] |= 1 << (i & 7);
      at = f32Acts ? out.writeFloatLE(a, at) : out.writeUInt16LE(halfAtMost(a, c.value), at);
    });
  }
  return Buffer.concat([Buffer.from([PACK_FORMAT]), zlib.deflateRawSync(out, { level: 1 })]);
}

/** Decodes a pack; throws (RangeError or Error) on a truncated or malformed one, which the caller names. */
export function decodeContextPack(stored: Buffer): PackedContext[] {
  const format = stored.readUInt8(0);
  if (format !== PACK_FORMAT) throw new Error(`unknown pack format ${format} (this app reads format ${PACK_FORMAT})`);
  const pack = zlib.inflateRawSync(stored.subarray(1));
  const count = pack.readUInt16LE(0);
  let at = 2;
  const out: PackedContext[] = [];
  for (let n = 0; n < count; n++) {
    const interval = pack.readUInt16LE(at);
    const value = pack.readFloatLE(at + 2);
    const length = pack.readUInt16LE(at + 6);
    const maxIndex = pack.readUInt16LE(at + 8);
    const flags = pack.readUInt8(at + 10);
    at += 11;
    if (length > 0 && maxIndex >= length) throw new Error(`context ${n}: maxIndex ${maxIndex} outside its ${length} tokens`);
    let source: PackedContext['source'] = null;
    let tokens: Int32Array | null = null;
    if (flags & FLAG_WINDOWED) {
      source = { window: pack.readUInt32LE(at), offset: pack.readUInt16LE(at + 4) };
      at += 6;
    } else {
      tokens = new Int32Array(length);
      const wide = (flags & FLAG_WIDE_TOKENS) !== 0;
      for (let i = 0; i < length; i++, at += wide ? 4 : 2) tokens[i] = wide ? pack.readInt32LE(at) : pack.readUInt16LE(at);
    }
    const bitmap = at;
    at += Math.ceil(length / 8);
    if (at > pack.length) throw new RangeError(`context ${n} runs past the end of the pack`);
    const acts = new Float32Array(length);
    const f32 = (flags & FLAG_F32_ACTS) !== 0;
    for (let i = 0; i < length; i++) {
      if (!(pack[bitmap + (i >> 3)] & (1 << (i & 7)))) continue;
      acts[i] = f32 ? pack.readFloatLE(at) : f16BitsToFloat32(pack.readUInt16LE(at));
      at += f32 ? 4 : 2;
    }
    if (flags & FLAG_PEAK_IS_VALUE) acts[maxIndex] = value;
    out.push({ interval: interval === TOP ? null : interval, value, maxIndex, acts, source, tokens });
  }
  if (at !== pack.length) throw new Error(`${pack.length - at} bytes left over after ${count} contexts`);
  return out;
}
