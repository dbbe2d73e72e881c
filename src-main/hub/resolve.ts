// Turns what a user types for --model (a folder, or a Hub name such as `gpt2` or
// `openai-community/gpt2`) into a local folder: the folder itself, else the Hugging Face cache, else
// a download into that cache.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { findCachedSnapshot, hubCacheDir, isValidRepoId, repoCacheDir, snapshotHasFile } from './cache.js';
import { downloadSnapshot, HubError, type ProgressCallback } from './download.js';
import { hubEndpoint, isOffline } from './http.js';

/** What a GPT-2 folder needs (weights and config) and what it may have (tokenizer files). */
export const MODEL_FILES = ['config.json', 'model.safetensors'] as const;
export const OPTIONAL_MODEL_FILES = ['vocab.json', 'merges.txt', 'tokenizer.json'] as const;

export interface ResolveOptions {
  /** Download from the Hub when not cached (default true; `HF_HUB_OFFLINE=1` forbids it anyway). */
  download?: boolean;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Branch, tag or commit on the Hub; default 'main'. */
  revision?: string;
}

/** A local folder (must hold config.json), else a Hub model (resolveHubModel). */
export async function resolveModelDir(dirOrName: string, opts: ResolveOptions = {}): Promise<string> {
  if (existsSync(dirOrName)) {
    if (!statSync(dirOrName).isDirectory()) throw new Error(`model ${dirOrName} is a file; pass the folder that holds config.json and model.safetensors`);
    if (!existsSync(path.join(dirOrName, 'config.json'))) throw new Error(`model folder ${dirOrName} has no config.json (expected a Hugging Face GPT-2 folder: config.json, model.safetensors)`);
    return path.resolve(dirOrName);
  }
  if (!isValidRepoId(dirOrName)) {
    throw new Error(`model "${dirOrName}" is neither an existing folder nor a Hub model name such as gpt2 or openai-community/gpt2`);
  }
  return resolveHubModel(dirOrName, opts, `no folder "${dirOrName}" and `);
}

/**
 * A Hub model name, never a local path (whatever folder the process runs in): its cached snapshot,
 * else a download into the cache. `prefix` is what the caller already looked for, for the message.
 */
export async function resolveHubModel(name: string, opts: ResolveOptions = {}, prefix = ''): Promise<string> {
  if (!isValidRepoId(name)) throw new Error(`model "${name}" is not a Hub model name such as gpt2 or openai-community/gpt2`);
  const cached = findCachedSnapshot(name, { revision: opts.revision });
  if (cached && MODEL_FILES.every((f) => snapshotHasFile(cached, f))) return cached;
  const where = `${prefix}no cached snapshot in ${repoCacheDir(name)}`;
  if (isOffline()) throw new HubError(`model ${name}: ${where}, and HF_HUB_OFFLINE is set (unset it to download from ${hubEndpoint()})`);
  if (opts.download === false) throw new HubError(`model ${name}: ${where} (downloading was not allowed)`);
  return downloadSnapshot(name, {
    revision: opts.revision,
    files: [...MODEL_FILES],
    optionalFiles: [...OPTIONAL_MODEL_FILES],
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
}

/** Local paths of `files` of a Hub dataset, from the cache or downloaded into it, in the order asked. */
export async function resolveDatasetFiles(repoId: string, files: string[], opts: ResolveOptions = {}): Promise<string[]> {
  const repo = { repoType: 'dataset' as const, revision: opts.revision };
  const cached = findCachedSnapshot(repoId, repo);
  const snapshot = cached && files.every((f) => snapshotHasFile(cached, f))
    ? cached
    : opts.download === false
      ? null
      : await downloadSnapshot(repoId, { ...repo, files, onProgress: opts.onProgress, signal: opts.signal });
  if (!snapshot) throw new HubError(`dataset ${repoId}: ${files.join(', ')} not all cached under ${hubCacheDir()} (downloading was not allowed)`);
  return files.map((f) => path.join(snapshot, f));
}
