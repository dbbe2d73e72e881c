// SAEs on the Hugging Face Hub: a repo holds one folder per SAE (SAELens releases: `blocks.8.hook_resid_pre/`;
// sparsify runs: `h.8/`). Only the files of the one folder are fetched, into the shared HF cache.
import path from 'node:path';
import { isValidRepoId } from '../../hub/cache.js';
import { downloadSnapshot, type ProgressCallback } from '../../hub/download.js';
import { readJsonFile } from './tensor-io.js';

export interface HubSaeRef {
  repoId: string;
  /** Folder inside the repo; '' when the SAE sits at the repo root. */
  subfolder: string;
}

/** `org/repo` or `org/repo/sub/folder` (optionally prefixed `hf://`), else undefined. */
export function parseHubSaeRef(text: string): HubSaeRef | undefined {
  const parts = text.replace(/^hf:\/\//, '').split('/').filter((p) => p !== '');
  if (parts.length < 2) return undefined;
  const repoId = `${parts[0]}/${parts[1]}`;
  if (!isValidRepoId(repoId)) return undefined;
  return { repoId, subfolder: parts.slice(2).join('/') };
}

const inFolder = (subfolder: string, file: string) => (subfolder ? `${subfolder}/${file}` : file);
const runConfig = (subfolder: string) => inFolder(path.posix.dirname(subfolder) === '.' ? '' : path.posix.dirname(subfolder), 'config.json');

/**
 * Downloads the SAE folder `ref` names (cfg.json first, to tell SAELens from sparsify, then its
 * weights) and returns its local path in the cache.
 */
export async function fetchHubSae(ref: HubSaeRef, onProgress?: ProgressCallback): Promise<string> {
  const where = `${ref.repoId}${ref.subfolder ? `/${ref.subfolder}` : ''}`;
  try {
    const cfgPath = inFolder(ref.subfolder, 'cfg.json');
    const first = await downloadSnapshot(ref.repoId, { files: [cfgPath], onProgress });
    const cfg = readJsonFile(path.join(first, cfgPath)) as Record<string, unknown>;
    // SAELens cfgs always name d_sae; sparsify's name num_latents / expansion_factor instead.
    const saelens = typeof cfg === 'object' && cfg !== null && 'd_sae' in cfg;
    const snapshot = await downloadSnapshot(ref.repoId, {
      files: [cfgPath, inFolder(ref.subfolder, saelens ? 'sae_weights.safetensors' : 'sae.safetensors')],
      // sparsify keeps the model name and context length in the run's config.json, one level up.
      optionalFiles: [saelens ? inFolder(ref.subfolder, 'sparsity.safetensors') : runConfig(ref.subfolder)],
      onProgress,
    });
    return path.join(snapshot, ref.subfolder);
  } catch (err) {
    throw new Error(
      `"${where}" is not a local path, and fetching it from the Hugging Face Hub failed: ${(err as Error).message}. ` +
        'Without network, download the SAE folder elsewhere and import its local path',
    );
  }
}
