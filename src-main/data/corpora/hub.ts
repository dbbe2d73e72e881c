// Named Hugging Face datasets ("owner/name"): parquet files in the standard HF cache layout
// (~/.cache/huggingface/hub/datasets--owner--name/snapshots/<revision>/…). A snapshot already in the
// cache is used offline; otherwise the files are downloaded where the network allows.
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const HUB_DATASET_PATTERN = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** The HF hub cache folder, honouring HF_HUB_CACHE and HF_HOME as huggingface_hub does. */
export function hubCacheDir(): string {
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE;
  if (process.env.HF_HOME) return join(process.env.HF_HOME, 'hub');
  return join(homedir(), '.cache', 'huggingface', 'hub');
}

/** All .parquet files under a folder, sorted so the document order is stable. */
export async function parquetFilesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await parquetFilesUnder(path)));
    else if (entry.name.endsWith('.parquet')) found.push(path);
  }
  return found.sort();
}

/** Parquet files of a cached snapshot of `repoId`, or undefined when none is cached. */
export async function cachedDatasetFiles(repoId: string): Promise<string[] | undefined> {
  const snapshots = join(hubCacheDir(), `datasets--${repoId.replace('/', '--')}`, 'snapshots');
  if (!existsSync(snapshots)) return undefined;
  const revisions = await readdir(snapshots);
  const withTimes = await Promise.all(revisions.map(async (r) => ({ r, t: (await stat(join(snapshots, r))).mtimeMs })));
  for (const { r } of withTimes.sort((a, b) => b.t - a.t)) {
    const files = await parquetFilesUnder(join(snapshots, r));
    if (files.length > 0) return files;
  }
  return undefined;
}

/** Parquet files of a Hub dataset, from the cache when present. */
export async function hubDatasetFiles(repoId: string): Promise<string[]> {
  const cached = await cachedDatasetFiles(repoId);
  if (cached) return cached;
  throw new Error(
    `dataset "${repoId}" is not in the Hugging Face cache (${hubCacheDir()}) and cannot be downloaded from here; ` +
      'download its parquet files on a machine with network access, or pass a local .parquet/.jsonl/.txt path, or --dataset sotu',
  );
}
