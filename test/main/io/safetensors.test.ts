import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSafetensors, SafetensorsError, writeSafetensors } from '../../../src-main/io/safetensors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'safetensors-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A file laid out by hand: 8-byte length, the header text as given, then `data`. */
function rawFile(name: string, header: unknown, data: Uint8Array = new Uint8Array(0)): string {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const headerBytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat([length, headerBytes, data]));
  return file;
}

function openError(file: string): string {
  try {
    openSafetensors(file);
  } catch (err) {
    expect(err).toBeInstanceOf(SafetensorsError);
    return (err as Error).message;
  }
  throw new Error(`expected ${file} to be rejected`);
}

describe('writeSafetensors + openSafetensors', () => {
  it('round-trips every writable dtype with shapes and metadata', () => {
    const file = path.join(dir, 'all.safetensors');
    writeSafetensors(
      file,
      {
        f32: { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0.1, 1e-30, -7]) },
        f16: { dtype: 'F16', shape: [4], data: Float32Array.from([1, 0.333333, 65504, -(2 ** -24)]) },
        bf16: { dtype: 'BF16', shape: [2, 1], data: Float32Array.from([1.0078125, -3]) },
        i32: { dtype: 'I32', shape: [3], data: Int32Array.from([-1, 0, 2147483647]) },
        i64: { dtype: 'I64', shape: [2], data: BigInt64Array.from([-5n, 9007199254740993n]) },
        u8: { dtype: 'U8', shape: [3], data: Uint8Array.from([0, 128, 255]) },
        scalar: { dtype: 'F32', shape: [], data: Float32Array.from([42]) },
        empty: { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
      },
      { format: 'pt', note: 'héllo' },
    );
    const st = openSafetensors(file);
    expect(st.metadata).toEqual({ format: 'pt', note: 'héllo' });
    expect(st.names().sort()).toEqual(['bf16', 'empty', 'f16', 'f32', 'i32', 'i64', 'scalar', 'u8']);
    expect(st.info('f32')).toEqual({ dtype: 'F32', shape: [2, 3] });
    expect(st.info('scalar')).toEqual({ dtype: 'F32', shape: [] });
    expect(Array.from(st.getFloat32('f32'))).toEqual(Array.from(Float32Array.from([1, -2, 3.5, 0.1, 1e-30, -7])));
    expect(Array.from(st.getFloat32('f16'))).toEqual([1, 0.333251953125, 65504, -(2 ** -24)]);
    expect(Array.from(st.getFloat32('bf16'))).toEqual([1.0078125, -3]);
    expect(Array.from(st.getFloat32('scalar'))).toEqual([42]);
    expect(st.getFloat32('empty').length).toBe(0);
    const i32 = st.getRaw('i32');
    expect(Array.from(new Int32Array(i32.buffer, i32.byteOffset, 3))).toEqual([-1, 0, 2147483647]);
    const i64 = st.getRaw('i64');
    expect(Array.from(new BigInt64Array(i64.buffer, i64.byteOffset, 2))).toEqual([-5n, 9007199254740993n]);
    expect(Array.from(st.getRaw('u8'))).toEqual([0, 128, 255]);
    expect(Array.from(st.getRaw('f16'))).toEqual([0x00, 0x3c, 0x55, 0x35, 0xff, 0x7b, 0x01, 0x80]);
  });

  it('pads the header with spaces to 8 bytes and aligns tensors by descending dtype size, then name', () => {
    const file = path.join(dir, 'layout.safetensors');
    writeSafetensors(file, {
      b: { dtype: 'U8', shape: [1], data: Uint8Array.from([7]) },
      a: { dtype: 'U8', shape: [1], data: Uint8Array.from([9]) },
      w: { dtype: 'F16', shape: [1], data: Float32Array.from([1]) },
      z: { dtype: 'I64', shape: [1], data: BigInt64Array.from([3n]) },
    });
    const bytes = readFileSync(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const text = bytes.subarray(8, 8 + headerLength).toString('utf8');
    expect(text).toMatch(/} *$/);
    expect(JSON.parse(text)).toEqual({
      z: { dtype: 'I64', shape: [1], data_offsets: [0, 8] },
      w: { dtype: 'F16', shape: [1], data_offsets: [8, 10] },
      a: { dtype: 'U8', shape: [1], data_offsets: [10, 11] },
      b: { dtype: 'U8', shape: [1], data_offsets: [11, 12] },
    });
    expect(bytes.length).toBe(8 + headerLength + 12);
    expect(openSafetensors(file).names()).toEqual(['z', 'w', 'a', 'b']);
  });

  it('reads F64 as float32 and refuses integer dtypes in getFloat32', () => {
    const data = Buffer.alloc(16 + 4);
    data.writeDoubleLE(0.5, 0);
    data.writeDoubleLE(-1e300, 8);
    data.writeInt32LE(5, 16);
    const file = rawFile('f64.safetensors', {
      d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
      n: { dtype: 'I32', shape: [1], data_offsets: [16, 20] },
    }, data);
    const st = openSafetensors(file);
    expect(Array.from(st.getFloat32('d'))).toEqual([0.5, -Infinity]);
    expect(() => st.getFloat32('n')).toThrow(/f64\.safetensors: tensor "n" is I32, not a float dtype .*getRaw/);
    expect(() => st.info('nope')).toThrow(/no tensor named "nope" \(it has 2: d, n\)/);
  });

  it('rejects bad input before writing and leaves no file (nor temp file) behind', () => {
    const file = path.join(dir, 'bad.safetensors');
    expect(() => writeSafetensors(file, {
      good: { dtype: 'F32', shape: [1], data: Float32Array.from([1]) },
      bad: { dtype: 'F32', shape: [2, 2], data: Float32Array.from([1, 2, 3]) },
    })).toThrow(/bad\.safetensors: tensor "bad": shape \[2, 2\] holds 4 values but data has 3/);
    expect(() => writeSafetensors(file, { x: { dtype: 'I32', shape: [1], data: Float32Array.from([1]) } })).toThrow(/I32 data must be a Int32Array, got Float32Array/);
    expect(() => writeSafetensors(file, { x: { dtype: 'Q4' as 'F32', shape: [1], data: Float32Array.from([1]) } })).toThrow(/cannot write dtype "Q4"/);
    expect(() => writeSafetensors(file, { x: { dtype: 'F32', shape: [-1], data: Float32Array.from([1]) } })).toThrow(/shape must be an array of non-negative integers/);
    expect(() => writeSafetensors(file, {}, { n: 3 as unknown as string })).toThrow(/__metadata__\.n must be a string/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('replaces an existing file whole', () => {
    const file = path.join(dir, 'twice.safetensors');
    writeSafetensors(file, { a: { dtype: 'F32', shape: [1], data: Float32Array.from([1]) } });
    writeSafetensors(file, { b: { dtype: 'F32', shape: [2], data: Float32Array.from([2, 3]) } });
    expect(openSafetensors(file).names()).toEqual(['b']);
    expect(readdirSync(dir)).toEqual(['twice.safetensors']);
  });
});

describe('openSafetensors on malformed files', () => {
  const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

  it('names the missing file', () => {
    expect(openError(path.join(dir, 'missing.safetensors'))).toMatch(/missing\.safetensors: cannot open: ENOENT/);
  });

  it('names a folder passed for a file', () => {
    expect(openError(dir)).toMatch(/is not a file \(pass the \.safetensors file, not its folder\)/);
  });

  it('rejects a file shorter than 8 bytes', () => {
    const file = path.join(dir, 'short.safetensors');
    writeFileSync(file, Buffer.from([1, 2, 3]));
    expect(openError(file)).toMatch(/short\.safetensors: file is 3 bytes, shorter than the 8-byte header length/);
  });

  it('rejects a header length larger than the file', () => {
    const file = path.join(dir, 'long.safetensors');
    const bytes = Buffer.alloc(20);
    bytes.writeBigUInt64LE(1000n);
    writeFileSync(file, bytes);
    expect(openError(file)).toMatch(/long\.safetensors: header length 1000 is larger than the 12 bytes that follow it/);
  });

  it('rejects a header that is not UTF-8', () => {
    const file = path.join(dir, 'latin1.safetensors');
    const bytes = Buffer.concat([Buffer.alloc(8), Buffer.from([0x7b, 0xff, 0x7d])]);
    bytes.writeBigUInt64LE(3n);
    writeFileSync(file, bytes);
    expect(openError(file)).toMatch(/latin1\.safetensors: header is not valid UTF-8 JSON/);
  });

  it('rejects a header that is not JSON, or not an object', () => {
    expect(openError(rawFile('json.safetensors', '{"a": [1,'))).toMatch(/json\.safetensors: header is not valid UTF-8 JSON/);
    expect(openError(rawFile('array.safetensors', '[1, 2]'))).toMatch(/array\.safetensors: header must be a JSON object/);
    expect(openError(rawFile('entry.safetensors', { t: 5 }))).toMatch(/tensor "t": expected an object with dtype, shape and data_offsets/);
  });

  it.each([
    ['dtype', { shape: [1], data_offsets: [0, 4] }],
    ['shape', { dtype: 'F32', data_offsets: [0, 4] }],
    ['data_offsets', { dtype: 'F32', shape: [1] }],
  ])('rejects an entry missing %s', (field, entry) => {
    expect(openError(rawFile('missing-field.safetensors', { w: entry }, new Uint8Array(4)))).toMatch(
      new RegExp(`missing-field\\.safetensors: tensor "w": missing "${field}"`),
    );
  });

  it('rejects an unknown dtype', () => {
    expect(openError(rawFile('dtype.safetensors', { w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16))))
      .toMatch(/dtype\.safetensors: tensor "w": unknown dtype "F128" \(expected one of BOOL, U8/);
  });

  it('rejects malformed shapes and offsets', () => {
    expect(openError(rawFile('shape.safetensors', { w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, new Uint8Array(4)))).toMatch(/tensor "w": shape must be an array of non-negative integers/);
    expect(openError(rawFile('offsets.safetensors', { w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4)))).toMatch(/tensor "w": data_offsets must be \[begin, end\]/);
  });

  it('rejects offsets outside the data section', () => {
    expect(openError(rawFile('outside.safetensors', { w: f32(0, 16) }, new Uint8Array(8)))).toMatch(
      /outside\.safetensors: tensor "w": data_offsets \[0, 16\] lie outside the data section of 8 bytes/,
    );
  });

  it('rejects overlapping tensors', () => {
    expect(openError(rawFile('overlap.safetensors', { a: f32(0, 8), b: f32(4, 12) }, new Uint8Array(12)))).toMatch(
      /overlap\.safetensors: tensor "b": data_offsets \[4, 12\] overlap the previous tensor, which ends at 8/,
    );
  });

  it('rejects gaps and trailing bytes that belong to no tensor', () => {
    expect(openError(rawFile('gap.safetensors', { a: f32(0, 4), b: f32(8, 12) }, new Uint8Array(12)))).toMatch(
      /gap\.safetensors: tensor "b": data_offsets start at 8, leaving bytes 4\.\.8 unused/,
    );
    expect(openError(rawFile('tail.safetensors', { a: f32(0, 4) }, new Uint8Array(12)))).toMatch(
      /tail\.safetensors: the tensors cover 4 bytes of the 12-byte data section/,
    );
  });

  it('rejects a shape whose size does not match the byte range', () => {
    expect(openError(rawFile('size.safetensors', { w: f32(0, 12, [2, 2]) }, new Uint8Array(12)))).toMatch(
      /size\.safetensors: tensor "w": shape \[2, 2\] of F32 needs 16 bytes but data_offsets \[0, 12\] span 12/,
    );
  });

  it('rejects non-string metadata', () => {
    expect(openError(rawFile('meta.safetensors', { __metadata__: { epoch: 3 } }))).toMatch(/meta\.safetensors: __metadata__\.epoch must be a string, got 3/);
  });

  it('accepts a header with trailing spaces and no tensors', () => {
    const st = openSafetensors(rawFile('spaces.safetensors', '{"__metadata__": {"a": "b"}}   '));
    expect(st.metadata).toEqual({ a: 'b' });
    expect(st.names()).toEqual([]);
  });
});
