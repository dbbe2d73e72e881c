// Named Hugging Face datasets, in huggingface_hub's cache layout (hub/cache.ts):
// - "owner/name": every .parquet file of the newest cached snapshot (offline; the Hub's file listing
//   API is not used, so an uncached repo needs its files named);
// - "owner/name/path/to/file.parquet[,other.parquet]": those files, from the cache or downloaded.
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hubCacheDir, repoCacheDir } from '../../hub/cache.js';
import { resolveDatasetFiles } from '../../hub/resolve.js';

/** "owner/name" optionally followed by "/file-path[,file-path…]". */
export const HUB_DATASET_PATTERN = /^([\w.-]+\/[\w.-]+)(?:\/(.+))?$/;

/** All .parquet files under a folder, sorted so the document order is stable. */
async function parquetFilesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await parquetFilesUnder(path)));
    else if (entry.name.endsWith('.parquet')) found.push(path);
  }
  return found.sort();
}

/** Parquet files of the newest cached snapshot of `repoId` holding any, or undefined. */
async function cachedDatasetFiles(repoId: string): Promise<string[] | undefined> {
  const snapshots = join(repoCacheDir(repoId, 'dataset'), 'snapshots');
  if (!existsSync(snapshots)) return undefined;
  const revisions = await Promise.all((await readdir(snapshots)).map(async (r) => ({ r, t: (await stat(join(snapshots, r))).mtimeMs })));
  for (const { r } of revisions.sort((a, b) => b.t - a.t)) {
    const files = await parquetFilesUnder(join(snapshots, r));
    if (files.length > 0) return files;
  }
  return undefined;
}

/** Local parquet files of a Hub dataset spec (see the file comment). */
export async function hubDatasetFiles(spec: string, signal?: AbortSignal): Promise<string[]> {
  const match = HUB_DATASET_PATTERN.exec(spec);
  if (!match) throw new Error(`"${spec}" is not a Hugging Face dataset id ("owner/name" or "owner/name/file.parquet")`);
  const [, repoId, files] = match;
  if (files) {
    try {
      return await resolveDatasetFiles(repoId, files.split(','), { signal });
    } catch (err) {
      throw new Error(`dataset ${repoId}: cannot get ${files} (${(err as Error).message}); pass a local .parquet/.jsonl/.txt path, or --dataset sotu`);
    }
  }
  const cached = await cachedDatasetFiles(repoId);
  if (cached) return cached;
  throw new Error(
    `dataset "${repoId}" has no parquet files in the Hugging Face cache (${hubCacheDir()}); name the files to download ` +
      `("${repoId}/data/train-00000-of-00001.parquet"), or pass a local .parquet/.jsonl/.txt path, or --dataset sotu`,
  );
}
