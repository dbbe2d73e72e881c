// The feature map's columns on the wire: each a typed array's bytes in base64, so a family of 336k
// latents travels as ~6 MiB of text that decodes in a few milliseconds, where JSON numbers took
// ~25 MiB and a parse of millions of values. IPC, contextBridge and HTTP all carry strings as they
// are. Bytes are in the platform's order, little-endian on every machine the app runs on.
import type { FeatureMap, MapBasis } from './api.js';

/** A decoded FeatureMap: point i is (saes[sae[i]], latent[i]) at (x[i], y[i], z[i]). */
export interface FeatureMapColumns {
  family: string;
  basis: MapBasis;
  /** Every basis the family has a map in. */
  bases: MapBasis[];
  saes: string[];
  /** d_sae of each entry of `saes`. */
  sizes: number[];
  sae: Uint16Array;
  latent: Int32Array;
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
}

type Column = 'sae' | 'latent' | 'x' | 'y' | 'z';
const COLUMN_TYPES = { sae: Uint16Array, latent: Int32Array, x: Float32Array, y: Float32Array, z: Float32Array } as const;
const COLUMNS = Object.keys(COLUMN_TYPES) as Column[];

/** Node's Buffer where there is one (the compute process): it encodes 344k points ~20× faster than btoa. */
const NodeBuffer = (globalThis as { Buffer?: { from(buffer: ArrayBufferLike, offset: number, length: number): { toString(encoding: 'base64'): string } } }).Buffer;

function base64Of(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let text = '';
  const CHUNK = 0x8000;
  for (let at = 0; at < bytes.length; at += CHUNK) text += String.fromCharCode(...bytes.subarray(at, at + CHUNK));
  return btoa(text);
}

function bytesOf(text: string): Uint8Array {
  const from = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (from) return from(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The wire form of `columns`; they must all hold one entry per point. */
export function encodeFeatureMap(columns: FeatureMapColumns): FeatureMap {
  const count = columns.latent.length;
  for (const name of COLUMNS) {
    if (columns[name].length !== count) throw new Error(`feature map "${columns.family}": column ${name} has ${columns[name].length} entries, latent has ${count}; all columns must be equal`);
  }
  const encoded = Object.fromEntries(COLUMNS.map((name) => [name, base64Of(new Uint8Array(columns[name].buffer, columns[name].byteOffset, columns[name].byteLength))]));
  return { family: columns.family, basis: columns.basis, bases: columns.bases, saes: columns.saes, sizes: columns.sizes, count, ...(encoded as Record<Column, string>) };
}

/** The typed columns of a FeatureMap; a column whose size disagrees with `count` is an error naming it. */
export function decodeFeatureMap(map: FeatureMap): FeatureMapColumns {
  if (!Number.isInteger(map.count) || map.count < 0) throw new Error(`feature map "${map.family}": count is ${map.count}, expected a whole number of points`);
  const decoded = Object.fromEntries(
    COLUMNS.map((name) => {
      const Type = COLUMN_TYPES[name];
      let bytes: Uint8Array;
      try {
        bytes = bytesOf(map[name]);
      } catch (err) {
        throw new Error(`feature map "${map.family}": column ${name} is not base64 (${(err as Error).message})`);
      }
      const expected = map.count * Type.BYTES_PER_ELEMENT;
      if (bytes.byteLength !== expected) {
        throw new Error(`feature map "${map.family}": column ${name} has ${bytes.byteLength} bytes, expected ${expected} (${map.count} points × ${Type.BYTES_PER_ELEMENT})`);
      }
      return [name, new Type(bytes.buffer as ArrayBuffer, bytes.byteOffset, map.count)];
    }),
  );
  return { family: map.family, basis: map.basis, bases: map.bases, saes: map.saes, sizes: map.sizes, ...(decoded as Pick<FeatureMapColumns, Column>) };
}
