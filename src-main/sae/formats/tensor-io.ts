// Shared by every SAE format: read a JSON config, read a named tensor with its shape and values checked, transpose between
// the row-major layouts the formats disagree on, and build an output folder so it appears whole or
// not at all.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { makeTempSiblingDir, replaceDirAtomic } from '../../io/atomic.js';
import type { SafetensorsFile, TensorToWrite } from '../../io/safetensors.js';

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const shapeText = (shape: number[]) => `[${shape.join(', ')}]`;

/**
 * The float32 values of tensor `name`, after checking it exists, has `shape` and holds no NaN or
 * Infinity. `why` says where the expected shape comes from, for the error message.
 */
export function readTensor(file: SafetensorsFile, name: string, shape: number[], why: string): Float32Array {
  const names = file.names();
  if (!names.includes(name)) {
    throw new Error(`${file.path}: missing tensor "${name}" ${shapeText(shape)} (${why}); the file has ${names.join(', ') || 'no tensors'}`);
  }
  const info = file.info(name);
  if (!sameShape(info.shape, shape)) {
    throw new Error(`${file.path}: tensor "${name}" has shape ${shapeText(info.shape)}, expected ${shapeText(shape)} (${why})`);
  }
  const values = file.getFloat32(name);
  checkFinite(values, `${file.path}: tensor "${name}"`);
  return values;
}

/** Throws naming the first NaN or ±Infinity: a diverged SAE must not be imported as if it were fine. */
export function checkFinite(values: Float32Array, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`${what} holds ${values[i]} at flat index ${i}; the SAE weights are not usable (diverged training?)`);
  }
}

/** Row-major [rows, cols] → row-major [cols, rows]. */
export function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  if (values.length !== rows * cols) throw new Error(`transpose: ${values.length} values do not form a [${rows}, ${cols}] matrix`);
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    const rowStart = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[rowStart + c];
  }
  return out;
}

export function f32(shape: number[], data: Float32Array): TensorToWrite {
  return { dtype: 'F32', shape, data };
}

/**
 * Builds folder `dir` by letting `build` fill a temporary sibling, then swaps it into place. If
 * `build` throws (bad input, full disk), the temporary folder is removed and `dir` is untouched.
 */
export function writeFolderAtomic(dir: string, build: (tmpDir: string) => void): void {
  mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  const tmp = makeTempSiblingDir(dir);
  try {
    build(tmp);
    replaceDirAtomic(tmp, dir);
  } finally {
    if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
  }
}

/** A parsed JSON file; the error names the file and says whether it is missing or malformed. */
export function readJsonFile(file: string): unknown {
  if (!existsSync(file)) throw new Error(`${file} not found`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}
