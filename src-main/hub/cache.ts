// The Hugging Face hub cache, laid out exactly as huggingface_hub lays it out, so models downloaded
// by Python (transformers, TransformerLens, SAELens) are found here and ours are found there:
//   {cache}/models--{org}--{name}/blobs/{etag}            file contents, named by etag (sha256 for LFS)
//   {cache}/models--{org}--{name}/refs/{revision}         the commit a branch or tag pointed to
//   {cache}/models--{org}--{name}/snapshots/{commit}/{file} -> ../../blobs/{etag}
//   {cache}/models--{org}--{name}/.no_exist/{commit}/{file}  marks a file known not to exist
// Datasets live in `datasets--{org}--{name}`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export type RepoType = 'model' | 'dataset';

export interface RepoOptions {
  /** Default 'model'. */
  repoType?: RepoType;
  /** Branch, tag or 40-hex commit; default 'main'. */
  revision?: string;
}

const COMMIT_HASH = /^[0-9a-f]{40}$/;

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(homedir(), p.slice(1)) : p;
}

/** `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`. */
export function hubCacheDir(): string {
  const explicit = process.env.HF_HUB_CACHE || process.env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return path.resolve(expandHome(explicit));
  const home = process.env.HF_HOME || path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'huggingface');
  return path.resolve(expandHome(home), 'hub');
}

/** huggingface_hub's rule (validate_repo_id): `name` or `org/name` of [A-Za-z0-9_.-], no `--` or `..`. */
export function isValidRepoId(repoId: string): boolean {
  return /^([\w.-]+\/)?[\w.-]+$/.test(repoId) && !repoId.includes('--') && !repoId.includes('..') && !repoId.endsWith('.git') && repoId.length <= 96
    && !/^[.-]|[.-]$|[.-]\/|\/[.-]/.test(repoId);
}

export function checkRepoId(repoId: string): void {
  if (!isValidRepoId(repoId)) {
    throw new Error(`"${repoId}" is not a valid Hugging Face repo id (expected "name" or "org/name" of letters, digits, "-", "_", "."; no "--" or "..")`);
  }
}

/** The cache folder of one repo, e.g. `…/hub/models--openai-community--gpt2`. */
export function repoCacheDir(repoId: string, repoType: RepoType = 'model'): string {
  checkRepoId(repoId);
  return path.join(hubCacheDir(), `${repoType}s--${repoId.replace('/', '--')}`);
}

/** Refuses absolute paths and `..` so a repo file name can never point outside the snapshot. */
export function checkRepoFileName(file: string): void {
  const parts = file.split('/');
  if (file === '' || file.startsWith('/') || file.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`"${file}" is not a valid file path inside a repo (use forward slashes, no leading "/", no "." or ".." parts)`);
  }
}

/** The commit a revision names in the cache: itself when it is a commit hash, else refs/{revision}. */
export function cachedCommit(repoId: string, opts: RepoOptions = {}): string | null {
  const revision = opts.revision ?? 'main';
  if (COMMIT_HASH.test(revision)) return revision;
  const ref = path.join(repoCacheDir(repoId, opts.repoType), 'refs', revision);
  if (!existsSync(ref)) return null;
  const commit = readFileSync(ref, 'utf8').trim();
  return COMMIT_HASH.test(commit) ? commit : null;
}

/** The snapshot folder of the revision (default main) if it is in the cache, else null. */
export function findCachedSnapshot(repoId: string, opts: RepoOptions = {}): string | null {
  const commit = cachedCommit(repoId, opts);
  if (!commit) return null;
  const snapshot = path.join(repoCacheDir(repoId, opts.repoType), 'snapshots', commit);
  return existsSync(snapshot) && statSync(snapshot).isDirectory() ? snapshot : null;
}

/** Whether `file` is present in the snapshot (a dangling symlink to a deleted blob does not count). */
export function snapshotHasFile(snapshot: string, file: string): boolean {
  checkRepoFileName(file);
  try {
    return statSync(path.join(snapshot, file)).isFile();
  } catch {
    return false;
  }
}

/** Whether a previous download learnt that `file` does not exist at this commit. */
export function knownMissing(repoId: string, commit: string, file: string, repoType: RepoType = 'model'): boolean {
  checkRepoFileName(file);
  return existsSync(path.join(repoCacheDir(repoId, repoType), '.no_exist', commit, file));
}
