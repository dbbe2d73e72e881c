// Reader and writer for the safetensors format (github.com/huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets}, __metadata__}`,
// then the tensors' bytes, little-endian, row-major. Opening reads and validates only the header, as
// strictly as the reference implementation; each tensor is read on demand at its offset, so a 6 GB
// GPT-2 XL checkpoint never sits in memory whole.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { TextDecoder } from 'node:util';
import { withAtomicFile, writeAll } from './atomic.js';
import { bf16ArrayToFloat32, f16ArrayToFloat32, float32ArrayToBF16, float32ArrayToF16 } from './half.js';

/** Bytes per element of every dtype the format defines. */
export const DTYPE_SIZES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};

/** The reference implementation refuses headers above 100 MB; a real one is a few hundred KB. */
const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'SafetensorsError';
  }
}

export interface TensorInfo {
  dtype: string;
  shape: number[];
}

interface Entry extends TensorInfo {
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  readonly path: string;
  /** The `__metadata__` entry (string to string); empty when absent. */
  readonly metadata: Record<string, string>;
  /** Tensor names in file order (by data offset). */
  names(): string[];
  info(name: string): TensorInfo;
  /** Values widened to float32 from F32, F16, BF16 or F64; other dtypes throw (use getRaw). */
  getFloat32(name: string): Float32Array;
  /** The tensor's bytes exactly as stored (little-endian), for integer and boolean dtypes. */
  getRaw(name: string): Buffer;
}

function readExactly(file: string, fd: number, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.byteLength) {
    const n = readSync(fd, target, done, target.byteLength - done, position + done);
    if (n === 0) throw new SafetensorsError(file, `unexpected end of file at byte ${position + done} (the file was truncated while open?)`);
    done += n;
  }
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseMetadata(file: string, value: unknown): Record<string, string> {
  if (!isObject(value)) throw new SafetensorsError(file, '__metadata__ must be an object of strings');
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new SafetensorsError(file, `__metadata__.${key} must be a string, got ${JSON.stringify(v)}`);
  }
  return value as Record<string, string>;
}

function parseEntry(file: string, name: string, value: unknown, dataStart: number, dataLength: number): Entry {
  const where = `tensor "${name}"`;
  if (!isObject(value)) throw new SafetensorsError(file, `${where}: expected an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (dtype === undefined) throw new SafetensorsError(file, `${where}: missing "dtype"`);
  if (shape === undefined) throw new SafetensorsError(file, `${where}: missing "shape"`);
  if (offsets === undefined) throw new SafetensorsError(file, `${where}: missing "data_offsets"`);
  if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZES)) {
    throw new SafetensorsError(file, `${where}: unknown dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(DTYPE_SIZES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(file, `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new SafetensorsError(file, `${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw new SafetensorsError(file, `${where}: data_offsets [${begin}, ${end}] lie outside the data section of ${dataLength} bytes (file truncated?)`);
  }
  const expected = elementCount(shape) * DTYPE_SIZES[dtype];
  if (expected !== end - begin) {
    throw new SafetensorsError(file, `${where}: shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { dtype, shape: [...shape], begin: dataStart + begin, end: dataStart + end };
}

/** The tensors must tile the data section exactly: no gaps, no overlaps, nothing left over. */
function checkCoverage(file: string, entries: Map<string, Entry>, dataStart: number, dataLength: number): string[] {
  const names = [...entries.keys()].sort((a, b) => entries.get(a)!.begin - entries.get(b)!.begin || entries.get(a)!.end - entries.get(b)!.end);
  let cursor = dataStart;
  for (const name of names) {
    const entry = entries.get(name)!;
    if (entry.begin < cursor) throw new SafetensorsError(file, `tensor "${name}": data_offsets [${entry.begin - dataStart}, ${entry.end - dataStart}] overlap the previous tensor, which ends at ${cursor - dataStart}`);
    if (entry.begin > cursor) throw new SafetensorsError(file, `tensor "${name}": data_offsets start at ${entry.begin - dataStart}, leaving bytes ${cursor - dataStart}..${entry.begin - dataStart} unused (expected ${cursor - dataStart})`);
    cursor = entry.end;
  }
  if (cursor !== dataStart + dataLength) {
    throw new SafetensorsError(file, `the tensors cover ${cursor - dataStart} bytes of the ${dataLength}-byte data section; the rest belongs to no tensor`);
  }
  return names;
}

function readHeader(file: string, fd: number): { metadata: Record<string, string>; entries: Map<string, Entry>; order: string[] } {
  const stats = fstatSync(fd);
  if (!stats.isFile()) throw new SafetensorsError(file, 'is not a file (pass the .safetensors file, not its folder)');
  const fileSize = stats.size;
  if (fileSize < 8) throw new SafetensorsError(file, `file is ${fileSize} bytes, shorter than the 8-byte header length (not a safetensors file, or truncated)`);
  const lengthBytes = Buffer.alloc(8);
  readExactly(file, fd, lengthBytes, 0);
  const headerLength = lengthBytes.readBigUInt64LE(0);
  if (headerLength > BigInt(fileSize - 8)) {
    throw new SafetensorsError(file, `header length ${headerLength} is larger than the ${fileSize - 8} bytes that follow it (truncated file, or not safetensors)`);
  }
  if (headerLength > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(file, `header length ${headerLength} exceeds the 100 MB limit`);
  const headerBytes = Buffer.alloc(Number(headerLength));
  readExactly(file, fd, headerBytes, 8);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw new SafetensorsError(file, `header is not valid UTF-8 JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new SafetensorsError(file, 'header must be a JSON object mapping tensor names to {dtype, shape, data_offsets}');
  const dataStart = 8 + Number(headerLength);
  const dataLength = fileSize - dataStart;
  let metadata: Record<string, string> = {};
  const entries = new Map<string, Entry>();
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') metadata = parseMetadata(file, value);
    else entries.set(name, parseEntry(file, name, value, dataStart, dataLength));
  }
  return { metadata, entries, order: checkCoverage(file, entries, dataStart, dataLength) };
}

/** Opens and validates a safetensors file; tensor bytes are read later, one tensor at a time. */
export function openSafetensors(file: string): SafetensorsFile {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new SafetensorsError(file, `cannot open: ${(err as Error).message}`);
  }
  let header: ReturnType<typeof readHeader>;
  try {
    header = readHeader(file, fd);
  } finally {
    closeSync(fd);
  }
  const { metadata, entries, order } = header;

  const entry = (name: string): Entry => {
    const found = entries.get(name);
    if (!found) throw new SafetensorsError(file, `no tensor named "${name}" (it has ${order.length}: ${order.slice(0, 8).join(', ')}${order.length > 8 ? ', …' : ''})`);
    return found;
  };
  // Reads into a fresh ArrayBuffer so typed views over it are aligned whatever the file offset.
  const readBytes = (e: Entry): Uint8Array => {
    const bytes = new Uint8Array(e.end - e.begin);
    const readFd = openSync(file, 'r');
    try {
      readExactly(file, readFd, bytes, e.begin);
    } finally {
      closeSync(readFd);
    }
    return bytes;
  };

  return {
    path: file,
    metadata,
    names: () => [...order],
    info: (name) => {
      const { dtype, shape } = entry(name);
      return { dtype, shape: [...shape] };
    },
    getFloat32: (name) => {
      const e = entry(name);
      switch (e.dtype) {
        case 'F32': return new Float32Array(readBytes(e).buffer);
        case 'F16': return f16ArrayToFloat32(new Uint16Array(readBytes(e).buffer));
        case 'BF16': return bf16ArrayToFloat32(new Uint16Array(readBytes(e).buffer));
        case 'F64': return Float32Array.from(new Float64Array(readBytes(e).buffer));
        default: throw new SafetensorsError(file, `tensor "${name}" is ${e.dtype}, not a float dtype (F32, F16, BF16, F64); read it with getRaw`);
      }
    },
    getRaw: (name) => {
      const bytes = readBytes(entry(name));
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  };
}

export type WritableDtype = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U8';

export interface TensorToWrite {
  dtype: WritableDtype;
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
}

/** Which typed array each dtype takes: floats are given as float32 and narrowed on write. */
const DATA_KINDS: Record<WritableDtype, { type: Function; label: string }> = {
  F32: { type: Float32Array, label: 'Float32Array' },
  F16: { type: Float32Array, label: 'Float32Array' },
  BF16: { type: Float32Array, label: 'Float32Array' },
  I32: { type: Int32Array, label: 'Int32Array' },
  I64: { type: BigInt64Array, label: 'BigInt64Array' },
  U8: { type: Uint8Array, label: 'Uint8Array' },
};

/** Checks dtype, data type and shape against each other; returns the tensor's byte length on disk. */
function checkTensor(file: string, name: string, tensor: TensorToWrite): number {
  if (name === '__metadata__' || name === '') throw new SafetensorsError(file, `invalid tensor name ${JSON.stringify(name)}`);
  const kind = DATA_KINDS[tensor.dtype];
  if (!kind) throw new SafetensorsError(file, `tensor "${name}": cannot write dtype ${JSON.stringify(tensor.dtype)} (expected one of ${Object.keys(DATA_KINDS).join(', ')})`);
  if (!(tensor.data instanceof kind.type)) {
    throw new SafetensorsError(file, `tensor "${name}": ${tensor.dtype} data must be a ${kind.label}, got ${tensor.data?.constructor?.name ?? typeof tensor.data}`);
  }
  if (!Array.isArray(tensor.shape) || !tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(file, `tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(tensor.shape)}`);
  }
  const count = elementCount(tensor.shape);
  if (count !== tensor.data.length) {
    throw new SafetensorsError(file, `tensor "${name}": shape [${tensor.shape.join(', ')}] holds ${count} values but data has ${tensor.data.length}`);
  }
  return count * DTYPE_SIZES[tensor.dtype];
}

/** The bytes to store; F16/BF16 are narrowed here, one tensor at a time, to keep peak memory low. */
function encodeTensor(tensor: TensorToWrite): Uint8Array {
  let typed: ArrayBufferView = tensor.data;
  if (tensor.dtype === 'F16') typed = float32ArrayToF16(tensor.data as Float32Array);
  if (tensor.dtype === 'BF16') typed = float32ArrayToBF16(tensor.data as Float32Array);
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

/**
 * The file's size and its bytes as parts (length, header, then each tensor's bytes: a view of its
 * data, F16/BF16 narrowed one tensor at a time as the parts are read, to keep peak memory low), for
 * writing or streaming; bad input throws here, before any part is read. As the reference writer does, tensors are laid out by descending
 * dtype size then name, so every tensor starts aligned to its element size, and the header is
 * space-padded to a multiple of 8 bytes. `file` names the file in errors.
 */
export function safetensorsParts(file: string, tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): { bytes: number; parts: Iterable<Uint8Array> } {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = parseMetadata(file, metadata);
  const byteLengths = new Map<string, number>();
  for (const [name, tensor] of Object.entries(tensors)) byteLengths.set(name, checkTensor(file, name, tensor));
  const names = [...byteLengths.keys()].sort((a, b) => DTYPE_SIZES[tensors[b].dtype] - DTYPE_SIZES[tensors[a].dtype] || (a < b ? -1 : a > b ? 1 : 0));
  let offset = 0;
  for (const name of names) {
    const end = offset + byteLengths.get(name)!;
    header[name] = { dtype: tensors[name].dtype, shape: tensors[name].shape, data_offsets: [offset, end] };
    offset = end;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json, 'utf8') % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(headerBytes.byteLength));
  function* parts(): Generator<Uint8Array> {
    yield lengthBytes;
    yield headerBytes;
    for (const name of names) yield encodeTensor(tensors[name]);
  }
  return { bytes: 8 + headerBytes.byteLength + offset, parts: { [Symbol.iterator]: parts } };
}

/** Writes tensors (and string metadata) atomically: a failure at any point, including bad input, leaves no file. */
export function writeSafetensors(file: string, tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): void {
  const { parts } = safetensorsParts(file, tensors, metadata);
  withAtomicFile(file, (fd) => {
    for (const part of parts) writeAll(fd, part);
  });
}
