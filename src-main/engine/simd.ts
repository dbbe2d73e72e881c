// Vector loops in WebAssembly SIMD (f32x4), assembled here byte by byte and run on the wasm
// backend's own memory, so the sparse SAE kernels (kernels.ts) and causal attention (attention.ts)
// work on tensors in place. Byte addresses; n floats per vector; `rows` holds `count` vectors of n
// floats back to back:
//   axpy(y, a, x, n): y[i] += a·x[i]                  dot(x, y, n): Σ x[i]·y[i]
//   dots(out, rows, x, count, n): out[j] = rows_j·x   (a matrix-vector product)
//   combine(y, coefs, rows, count, n): y += Σ_j coefs[j]·rows_j
//   spread(rows, coefs, x, count, n): rows_j += coefs[j]·x   (a rank-1 update)
// V8 never vectorises JavaScript; these run ~5× faster than the same loops written in JavaScript.
// Encoding: WebAssembly core spec §5 (binary format) and the SIMD proposal's opcode table.

export interface SimdOps {
  axpy(yByte: number, a: number, xByte: number, n: number): void;
  dot(xByte: number, yByte: number, n: number): number;
  dots(outByte: number, rowsByte: number, xByte: number, count: number, n: number): void;
  combine(yByte: number, coefsByte: number, rowsByte: number, count: number, n: number): void;
  spread(rowsByte: number, coefsByte: number, xByte: number, count: number, n: number): void;
}

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const name = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32 = (v: number) => [0x41, ...sleb(v)];
const simd = (op: number, ...immediates: number[]) => [0xfd, ...uleb(op), ...immediates];
const V128_LOAD = simd(0x00, 0, 0);
const V128_STORE = simd(0x0b, 0, 0);
const V128_ZERO = simd(0x0c, ...new Array<number>(16).fill(0));
const F32X4_SPLAT = simd(0x13);
const F32X4_ADD = simd(228);
const F32X4_MUL = simd(230);
const lane = (i: number) => simd(0x1f, i);
const F32_LOAD = [0x2a, 2, 0];
const F32_STORE = [0x38, 2, 0];
const [ADD, AND, SHL, GE_U, EQZ, FADD, FMUL, BR, BR_IF, END] = [0x6a, 0x71, 0x74, 0x4f, 0x45, 0x92, 0x94, 0x0c, 0x0d, 0x0b];
const call = (f: number) => [0x10, ...uleb(f)];
const [AXPY_FN, DOT_FN] = [0, 1];
const BLOCK_LOOP = [0x02, 0x40, 0x03, 0x40];

/** `end = start + (n & ~3) · 4`: where the 4-wide part of the loop stops. */
const vectorEnd = (start: number, n: number, end: number) => [...get(start), ...get(n), ...i32(-4), AND, ...i32(2), SHL, ADD, ...set(end)];
/** Advances byte pointers by `step`. */
const advance = (step: number, ...pointers: number[]) => pointers.flatMap((p) => [...get(p), ...i32(step), ADD, ...set(p)]);

// axpy(y 0, a 1, x 2, n 3); locals: end 4, splat 5.
const AXPY = [
  ...get(1), ...F32X4_SPLAT, ...set(5),
  ...vectorEnd(2, 3, 4),
  ...BLOCK_LOOP,
  ...get(2), ...get(4), GE_U, BR_IF, 1,
  ...get(0), ...get(0), ...V128_LOAD, ...get(2), ...V128_LOAD, ...get(5), ...F32X4_MUL, ...F32X4_ADD, ...V128_STORE,
  ...advance(16, 2, 0), BR, 0, END, END,
  ...get(3), ...i32(3), AND, ...set(3),
  ...BLOCK_LOOP,
  ...get(3), EQZ, BR_IF, 1,
  ...get(0), ...get(0), ...F32_LOAD, ...get(2), ...F32_LOAD, ...get(1), FMUL, FADD, ...F32_STORE,
  ...advance(4, 2, 0), ...get(3), ...i32(-1), ADD, ...set(3), BR, 0, END, END,
  END,
]; // prettier-ignore

// dot(x 0, y 1, n 2) → f32; locals: end 3, acc 4, sum 5.
const DOT = [
  ...V128_ZERO, ...set(4),
  ...vectorEnd(0, 2, 3),
  ...BLOCK_LOOP,
  ...get(0), ...get(3), GE_U, BR_IF, 1,
  ...get(4), ...get(0), ...V128_LOAD, ...get(1), ...V128_LOAD, ...F32X4_MUL, ...F32X4_ADD, ...set(4),
  ...advance(16, 0, 1), BR, 0, END, END,
  ...get(4), ...lane(0), ...get(4), ...lane(1), FADD, ...get(4), ...lane(2), FADD, ...get(4), ...lane(3), FADD, ...set(5),
  ...get(2), ...i32(3), AND, ...set(2),
  ...BLOCK_LOOP,
  ...get(2), EQZ, BR_IF, 1,
  ...get(5), ...get(0), ...F32_LOAD, ...get(1), ...F32_LOAD, FMUL, FADD, ...set(5),
  ...advance(4, 0, 1), ...get(2), ...i32(-1), ADD, ...set(2), BR, 0, END, END,
  ...get(5),
  END,
]; // prettier-ignore

/** Locals `stride = n · 4` (bytes per row) and `end = coefs + count · 4` shared by the three row loops. */
const rowLoopSetup = (coefs: number, count: number, n: number, stride: number, end: number) => [
  ...get(n), ...i32(2), SHL, ...set(stride),
  ...get(coefs), ...get(count), ...i32(2), SHL, ADD, ...set(end),
]; // prettier-ignore

/** Loops `step` over the rows: until `coefs` reaches `end`, then advances it by 4 and `rows` by a row. */
const overRows = (coefs: number, rows: number, stride: number, end: number, step: number[]) => [
  ...BLOCK_LOOP,
  ...get(coefs), ...get(end), GE_U, BR_IF, 1,
  ...step,
  ...advance(4, coefs), ...get(rows), ...get(stride), ADD, ...set(rows), BR, 0, END, END,
]; // prettier-ignore

// dots(out 0, rows 1, x 2, count 3, n 4); locals: stride 5, end 6. `out` plays the coefficients' part.
const DOTS = [...rowLoopSetup(0, 3, 4, 5, 6), ...overRows(0, 1, 5, 6, [...get(0), ...get(1), ...get(2), ...get(4), ...call(DOT_FN), ...F32_STORE]), END];
// combine(y 0, coefs 1, rows 2, count 3, n 4); locals: stride 5, end 6.
const COMBINE = [...rowLoopSetup(1, 3, 4, 5, 6), ...overRows(1, 2, 5, 6, [...get(0), ...get(1), ...F32_LOAD, ...get(2), ...get(4), ...call(AXPY_FN)]), END];
// spread(rows 0, coefs 1, x 2, count 3, n 4); locals: stride 5, end 6.
const SPREAD = [...rowLoopSetup(1, 3, 4, 5, 6), ...overRows(1, 0, 5, 6, [...get(0), ...get(1), ...F32_LOAD, ...get(2), ...get(4), ...call(AXPY_FN)]), END];

function body(locals: number[], code: number[]): number[] {
  const bytes = [...vector(locals.map((type) => [1, type])), ...code];
  return [...uleb(bytes.length), ...bytes];
}

const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vector([
    [0x60, ...vector([[I32], [F32], [I32], [I32]]), 0],
    [0x60, ...vector([[I32], [I32], [I32]]), ...vector([[F32]])],
    [0x60, ...vector([[I32], [I32], [I32], [I32], [I32]]), 0],
  ])),
  ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])),
  ...section(3, vector([[0], [1], [2], [2], [2]])),
  ...section(7, vector(['axpy', 'dot', 'dots', 'combine', 'spread'].map((fn, i) => [...name(fn), 0x00, i]))),
  ...section(10, vector([body([I32, V128], AXPY), body([I32, V128, F32], DOT), body([I32, I32], DOTS), body([I32, I32], COMBINE), body([I32, I32], SPREAD)])),
]); // prettier-ignore

/** Whether this JavaScript engine runs WebAssembly SIMD (every Node ≥ 16.4 and Electron does). */
export function simdSupported(): boolean {
  return WebAssembly.validate(MODULE);
}

/** The SIMD loops bound to `memory`. */
export function createSimdOps(memory: WebAssembly.Memory): SimdOps {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(MODULE), { env: { memory } });
  return instance.exports as unknown as SimdOps;
}
