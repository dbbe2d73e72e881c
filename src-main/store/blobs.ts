// Typed arrays to and from BLOB columns: raw little-endian bytes (every platform Node and Electron
// ship on is little-endian), readable from any language as int32 / float32 / uint32 / uint16 arrays.

export function toBlob(values: Int32Array | Float32Array | Uint32Array | Uint16Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

function copyBytes(blob: Buffer, width: number, column: string): ArrayBuffer {
  if (blob.byteLength % width !== 0) throw new Error(`BLOB column ${column} holds ${blob.byteLength} bytes, not a multiple of ${width}`);
  const out = new ArrayBuffer(blob.byteLength);
  new Uint8Array(out).set(blob);
  return out;
}

export function float32FromBlob(blob: Buffer, column = 'blob'): Float32Array {
  return new Float32Array(copyBytes(blob, 4, column));
}

export function int32FromBlob(blob: Buffer, column = 'blob'): Int32Array {
  return new Int32Array(copyBytes(blob, 4, column));
}

export function uint32FromBlob(blob: Buffer, column = 'blob'): Uint32Array {
  return new Uint32Array(copyBytes(blob, 4, column));
}

export function uint16FromBlob(blob: Buffer, column = 'blob'): Uint16Array {
  return new Uint16Array(copyBytes(blob, 2, column));
}
