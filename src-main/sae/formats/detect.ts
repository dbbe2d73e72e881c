// One entry point for every SAE a user may bring: a SAELens folder, a sparsify hookpoint folder, an
// OpenAI state dict in safetensors form, or a folder on the Hugging Face Hub. The format is told from
// the files, the SAE is checked against itself and (given one) the model, and it comes back in our
// common form.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { openSafetensors } from '../../io/safetensors.js';
import type { ProgressCallback } from '../../hub/download.js';
import type { SaeBundle } from '../types.js';
import { fetchHubSae, parseHubSaeRef, type HubSaeRef } from './hub.js';
import { isPickleFile, loadOpenAiSafetensors, looksLikeOpenAi, pickleRefusal } from './openai.js';
import { loadSaeLens, SAELENS_CFG, SAELENS_WEIGHTS } from './saelens.js';
import { loadSparsify, SPARSIFY_WEIGHTS, type Warn } from './sparsify.js';
import { validateBundle, type ModelShape } from './validate.js';

export type SaeFormat = 'saelens' | 'sparsify' | 'openai';

export interface ImportOptions {
  /** The model the SAE will run on: d_in and the hook name are checked against it. */
  model?: ModelShape;
  /** Hook name to use instead of the file's (sparsify hookpoints we cannot map, raw OpenAI files). */
  hook?: string;
  /** Latents per token for a raw OpenAI file (default 32). */
  k?: number;
  /** Hub repo and folder, instead of parsing them from `src`. */
  hfRepo?: string;
  subfolder?: string;
  onProgress?: ProgressCallback;
  onWarning?: Warn;
}

export interface DetectedSae {
  format: SaeFormat;
  /** The folder (SAELens, sparsify) or file (OpenAI) to read. */
  path: string;
}

/** SAE folders directly inside `dir`, for the message when `dir` is a release or run, not one SAE. */
function saeSubfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, SAELENS_CFG)))
    .map((e) => e.name)
    .sort();
}

/** Tells the format of a local file or folder from what it contains. */
export function detectSaeFormat(src: string): DetectedSae {
  if (!existsSync(src)) throw new Error(`${src}: no such file or folder`);
  if (statSync(src).isFile()) {
    if (isPickleFile(src)) throw pickleRefusal(src);
    const base = path.basename(src);
    if (base === SAELENS_CFG || base === SAELENS_WEIGHTS || base === SPARSIFY_WEIGHTS) return detectSaeFormat(path.dirname(src));
    if (src.endsWith('.safetensors') && looksLikeOpenAi(openSafetensors(src).names())) return { format: 'openai', path: src };
    throw new Error(`${src}: not an SAE file; pass a SAELens folder (cfg.json + sae_weights.safetensors), a sparsify folder (cfg.json + sae.safetensors) or an OpenAI state dict as .safetensors`);
  }
  const has = (name: string) => existsSync(path.join(src, name));
  if (has(SAELENS_CFG) && has(SAELENS_WEIGHTS)) return { format: 'saelens', path: src };
  if (has(SAELENS_CFG) && has(SPARSIFY_WEIGHTS)) return { format: 'sparsify', path: src };
  if (has(SAELENS_CFG)) throw new Error(`${src}: has cfg.json but neither ${SAELENS_WEIGHTS} (SAELens) nor ${SPARSIFY_WEIGHTS} (sparsify)`);
  const inside = saeSubfolders(src);
  if (inside.length === 1) return detectSaeFormat(path.join(src, inside[0]));
  if (inside.length > 1) {
    throw new Error(`${src} holds ${inside.length} SAEs (a release or a training run); import one of them: ${inside.slice(0, 6).map((d) => path.join(src, d)).join(', ')}${inside.length > 6 ? ', …' : ''}`);
  }
  throw new Error(`${src}: no SAE here; expected cfg.json with ${SAELENS_WEIGHTS} (SAELens) or ${SPARSIFY_WEIGHTS} (sparsify)`);
}

export function loadDetected(found: DetectedSae, opts: ImportOptions = {}): SaeBundle {
  switch (found.format) {
    case 'saelens': return loadSaeLens(found.path);
    // The hook override replaces the hookpoint mapping, so there is nothing to warn about.
    case 'sparsify': return loadSparsify(found.path, { onWarning: opts.hook ? () => {} : opts.onWarning });
    case 'openai': return loadOpenAiSafetensors(found.path, { hookName: opts.hook, k: opts.k });
  }
}

function hubRef(src: string, opts: ImportOptions): HubSaeRef | undefined {
  if (opts.hfRepo) return { repoId: opts.hfRepo, subfolder: opts.subfolder ?? (src === '' ? '' : src) };
  if (existsSync(src)) return undefined;
  return parseHubSaeRef(src);
}

export interface ImportedSae {
  bundle: SaeBundle;
  format: SaeFormat;
  /** The local folder or file it was read from (a cache folder for Hub SAEs). */
  path: string;
}

/** importSae, also saying which format was found and where. */
export async function importSaeDetailed(src: string, opts: ImportOptions = {}): Promise<ImportedSae> {
  const ref = hubRef(src, opts);
  const local = ref ? await fetchHubSae(ref, opts.onProgress) : src;
  const found = detectSaeFormat(local);
  const bundle = loadDetected(found, opts);
  if (opts.hook) bundle.spec.hookName = opts.hook;
  try {
    validateBundle(bundle, opts.model);
  } catch (err) {
    throw new Error(`${src || found.path}: ${(err as Error).message}`);
  }
  return { bundle, ...found };
}

/**
 * Reads an SAE from a local path or a Hub repo (`org/repo/subfolder`, or `hfRepo` + `subfolder`),
 * validates it (and against `model` when given) and returns it. Errors say what does not match.
 */
export async function importSae(src: string, opts: ImportOptions = {}): Promise<SaeBundle> {
  return (await importSaeDetailed(src, opts)).bundle;
}
