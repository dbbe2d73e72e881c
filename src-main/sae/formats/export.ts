// An SAE folder of the workspace (SAELens) as the files of an export, for both ways out of the app:
// the desktop app writes them into a folder the user chose, browser mode streams them as a .zip.
// SAELens: the folder's own files, read from disk as they go out. sparsify: the folder converted
// (sparsifyFolder) in memory, the weights once plus the transposed encoder, about 1.5× the SAE.
import { createReadStream, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { SaeExportFormat } from '../../../src-shared/api.js';
import { safetensorsParts } from '../../io/safetensors.js';
import { loadSaeLens } from './saelens.js';
import { SPARSIFY_CFG, SPARSIFY_WEIGHTS, sparsifyFolder } from './sparsify.js';

export type ExportFormat = SaeExportFormat;
export const EXPORT_FORMATS: readonly ExportFormat[] = ['saelens', 'sparsify'];

export interface ExportFile {
  /** "/"-separated path inside the export, its top folder first. */
  path: string;
  /** Bytes. */
  size: number;
  read(): AsyncIterable<Uint8Array>;
}

async function* fromMemory(parts: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* parts;
}

/**
 * The files exporting the SAELens folder `dir` as `format`, under a top folder `name`: SAELens
 * `name/cfg.json, sae_weights.safetensors…` (every regular file, links and subfolders left out);
 * sparsify `name/<hookpoint>/cfg.json, sae.safetensors`, a run folder sparsify's
 * SparseCoder.load_many reads. Throws why sparsify cannot hold the SAE (sparsifyRefusal).
 */
export function exportFiles(dir: string, format: ExportFormat, name: string): ExportFile[] {
  if (format === 'sparsify') {
    const { hookpoint, cfg, tensors } = sparsifyFolder(loadSaeLens(dir));
    const weights = safetensorsParts(SPARSIFY_WEIGHTS, tensors);
    const cfgBytes = Buffer.from(`${JSON.stringify(cfg, null, 2)}\n`);
    return [
      { path: `${name}/${hookpoint}/${SPARSIFY_CFG}`, size: cfgBytes.byteLength, read: () => fromMemory([cfgBytes]) },
      { path: `${name}/${hookpoint}/${SPARSIFY_WEIGHTS}`, size: weights.bytes, read: () => fromMemory(weights.parts) },
    ];
  }
  const files: ExportFile[] = [];
  for (const file of readdirSync(dir).sort()) {
    const source = path.join(dir, file);
    const stat = lstatSync(source);
    if (stat.isFile()) files.push({ path: `${name}/${file}`, size: stat.size, read: () => createReadStream(source) });
  }
  return files;
}
