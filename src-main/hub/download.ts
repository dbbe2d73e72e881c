// Downloads files of a Hub repo into the huggingface_hub cache layout (see cache.ts): each file's
// bytes go to blobs/{etag}.incomplete, resumed with an HTTP Range request after an interruption,
// are checked (size; sha256 for LFS blobs), renamed to blobs/{etag}, and linked from
// snapshots/{commit}/{file}. refs/{revision} records the commit. Python's huggingface_hub and
// this code share one cache.
import { closeSync, copyFileSync, createReadStream, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { writeAll, writeFileAtomic } from '../io/atomic.js';
import { withFileLock } from './lock.js';
import { checkRepoFileName, checkRepoId, findCachedSnapshot, knownMissing, repoCacheDir, snapshotHasFile, type RepoOptions } from './cache.js';
import { headFile, HubError, HubUnreachableError, isOffline, requestHeaders, resolveUrl, unreachable, type FileMetadata } from './http.js';

export { HubError } from './http.js';

/** Called as bytes arrive: bytes done and total over all files still to fetch, and the current file. */
export type ProgressCallback = (done: number, total: number, file: string) => void;

export interface DownloadOptions extends RepoOptions {
  /** Repo paths that must exist, e.g. `config.json`. */
  files: string[];
  /** Repo paths that may be absent (a 404 is fine), e.g. `tokenizer.json`. */
  optionalFiles?: string[];
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The cached snapshot when every required file is in it, else the list of what is missing. */
function completeSnapshot(repoId: string, opts: DownloadOptions): { snapshot: string | null; missing: string[] } {
  const snapshot = findCachedSnapshot(repoId, opts);
  if (!snapshot) return { snapshot: null, missing: opts.files };
  const commit = path.basename(snapshot);
  const missing = opts.files.filter((f) => !snapshotHasFile(snapshot, f));
  const optionalMissing = (opts.optionalFiles ?? []).filter((f) => !snapshotHasFile(snapshot, f) && !knownMissing(repoId, commit, f, opts.repoType));
  return { snapshot: missing.length === 0 && optionalMissing.length === 0 ? snapshot : null, missing: [...missing, ...optionalMissing] };
}

function describeRepo(repoId: string, opts: RepoOptions): string {
  return `${opts.repoType === 'dataset' ? 'dataset ' : ''}${repoId}@${opts.revision ?? 'main'}`;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Bytes of a partial download that a resume will keep (0 when it is larger than the file, hence restarted). */
function partialSize(partial: string, size: number | null): number {
  if (!existsSync(partial)) return 0;
  const have = statSync(partial).size;
  return size !== null && have > size ? 0 : have;
}

/** Appends the remaining bytes of one file to `partial`; returns when the server has sent them all. */
async function fetchInto(file: string, meta: FileMetadata, partial: string, signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<void> {
  let have = partialSize(partial, meta.size);
  if (meta.size !== null && have === meta.size) return;
  let res: Response;
  try {
    res = await fetch(meta.downloadUrl, { headers: requestHeaders(meta.downloadUrl, have > 0 ? { Range: `bytes=${have}-` } : {}), signal });
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw unreachable(err);
  }
  if (res.status === 200 && have > 0) {
    // The server ignored the Range: start over, and take back the bytes already counted.
    onBytes(-have);
    have = 0;
  } else if (res.status === 206) {
    const range = res.headers.get('content-range') ?? '';
    if (!range.startsWith(`bytes ${have}-`)) throw new HubError(`${meta.downloadUrl}: asked for bytes from ${have}, got Content-Range "${range}"; delete ${partial} and retry`);
  } else if (!res.ok || !res.body) {
    throw new HubError(`${meta.downloadUrl}: ${res.status} ${res.statusText} while downloading ${file}`);
  }
  onBytes(0);
  const fd = openSync(partial, have > 0 ? 'a' : 'w');
  try {
    // Node's web streams are async-iterable; the DOM typings in tsconfig do not say so.
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      writeAll(fd, chunk);
      have += chunk.byteLength;
      onBytes(chunk.byteLength);
    }
    fsyncSync(fd);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw new HubError(`download of ${file} from ${meta.downloadUrl} stopped after ${have}${meta.size === null ? '' : ` of ${meta.size}`} bytes (${(err as { cause?: Error }).cause?.message ?? (err as Error).message}); run again to resume`);
  } finally {
    closeSync(fd);
  }
  if (meta.size !== null && have !== meta.size) {
    throw new HubError(`download of ${file} from ${meta.downloadUrl} ended after ${have} of ${meta.size} bytes; run again to resume`);
  }
}

/**
 * Fetches one blob into blobs/{etag}, verifying it, unless it is already there. The lock lives where
 * huggingface_hub keeps its own, {cache}/.locks/{repo folder}/{etag}.lock.
 */
async function downloadBlob(repoDir: string, file: string, meta: FileMetadata, signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<string> {
  const blob = path.join(repoDir, 'blobs', meta.etag);
  if (existsSync(blob)) return blob;
  const lock = path.join(path.dirname(repoDir), '.locks', path.basename(repoDir), `${meta.etag}.lock`);
  return withFileLock(lock, async () => {
    if (!existsSync(blob)) await fetchBlob(blob, file, meta, signal, onBytes);
    return blob;
  }, signal);
}

async function fetchBlob(blob: string, file: string, meta: FileMetadata, signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<void> {
  mkdirSync(path.dirname(blob), { recursive: true });
  const partial = `${blob}.incomplete`;
  await fetchInto(file, meta, partial, signal, onBytes);
  if (SHA256.test(meta.etag)) {
    const actual = await sha256Of(partial);
    if (actual !== meta.etag) {
      rmSync(partial, { force: true });
      throw new HubError(`${file}: downloaded bytes have sha256 ${actual}, expected ${meta.etag}; the partial file was deleted, run again`);
    }
  }
  renameSync(partial, blob);
}

/**
 * snapshots/{commit}/{file} → relative symlink to the blob; a copy where symlinks are not allowed
 * (Windows without developer mode). Made under a temporary name and renamed over the target, so a
 * concurrent downloader never sees the file missing and a copy never writes through an old link.
 */
function linkIntoSnapshot(snapshot: string, file: string, blob: string): void {
  const target = path.join(snapshot, file);
  mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    symlinkSync(path.relative(path.dirname(target), blob), tmp);
  } catch {
    copyFileSync(blob, tmp);
  }
  renameSync(tmp, target);
}

function markMissing(repoDir: string, commit: string, file: string): void {
  const marker = path.join(repoDir, '.no_exist', commit, file);
  mkdirSync(path.dirname(marker), { recursive: true });
  writeFileSync(marker, '');
}

/**
 * Makes `files` of the repo available locally and returns the snapshot folder holding them.
 * Offline (`HF_HUB_OFFLINE=1`) only the cache is used. When the hub cannot be reached, a complete
 * cached snapshot is used instead, as huggingface_hub does.
 */
export async function downloadSnapshot(repoId: string, opts: DownloadOptions): Promise<string> {
  checkRepoId(repoId);
  const optional = opts.optionalFiles ?? [];
  for (const f of [...opts.files, ...optional]) checkRepoFileName(f);
  const revision = opts.revision ?? 'main';
  const repoType = opts.repoType ?? 'model';
  const repoDir = repoCacheDir(repoId, repoType);

  if (isOffline()) {
    const { snapshot, missing } = completeSnapshot(repoId, opts);
    if (snapshot) return snapshot;
    throw new HubError(`HF_HUB_OFFLINE is set and ${describeRepo(repoId, opts)} is not fully cached in ${repoDir} (missing ${missing.join(', ')}); unset HF_HUB_OFFLINE to download, or use a local folder`);
  }

  const metas = new Map<string, FileMetadata>();
  const absent: string[] = [];
  let commit: string | null = null;
  try {
    for (const file of [...opts.files, ...optional]) {
      const head = await headFile(resolveUrl(repoId, repoType, revision, file), opts.signal);
      if (head.found) {
        metas.set(file, head.meta);
        commit ??= head.meta.commit;
      } else if (optional.includes(file)) {
        absent.push(file);
        commit ??= head.commit;
      } else {
        throw head.error;
      }
    }
  } catch (err) {
    if (!(err instanceof HubUnreachableError)) throw err;
    const { snapshot } = completeSnapshot(repoId, opts);
    if (snapshot) return snapshot;
    throw err;
  }
  if (!commit) throw new HubError(`${describeRepo(repoId, opts)}: none of ${[...opts.files, ...optional].join(', ')} exists`);

  const blobsDir = path.join(repoDir, 'blobs');
  const toFetch = [...metas].filter(([, m]) => !existsSync(path.join(blobsDir, m.etag)));
  const total = toFetch.reduce((sum, [, m]) => sum + (m.size ?? 0), 0);
  // Bytes kept from an interrupted run count as done, so a resumed bar still ends at 100 %.
  let done = toFetch.reduce((sum, [, m]) => sum + partialSize(path.join(blobsDir, `${m.etag}.incomplete`), m.size), 0);
  const snapshot = path.join(repoDir, 'snapshots', commit);
  mkdirSync(snapshot, { recursive: true });
  for (const [file, meta] of metas) {
    const blob = await downloadBlob(repoDir, file, meta, opts.signal, (n) => {
      done += n;
      opts.onProgress?.(done, total, file);
    });
    linkIntoSnapshot(snapshot, file, blob);
  }
  for (const file of absent) markMissing(repoDir, commit, file);
  if (revision !== commit) {
    const ref = path.join(repoDir, 'refs', revision);
    mkdirSync(path.dirname(ref), { recursive: true });
    writeFileAtomic(ref, commit);
  }
  return snapshot;
}
