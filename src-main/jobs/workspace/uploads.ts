// Files brought into the workspace from outside it: a browser's upload (browser mode) or the file or
// folder a native open dialog chose (desktop). Either way the bytes arrive as one stream, the files
// one after another as a manifest lists them, and land in uploads/<id>/ whole or not at all: they are
// written into a temporary sibling folder (named with the writer's pid, so a crash leaves debris the
// next compute process sweeps) and renamed into place only once every file has all its bytes. The
// requests that consume an upload (saes.import, datasets.add) name it by id, never by path, and
// remove it when done; nothing a client sends becomes a path except through these checks.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statfsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { UploadFile, UploadReceipt } from '../../../src-shared/api.js';
import { fsyncDir, makeTempSiblingDir, writeAll } from '../../io/atomic.js';
import type { WorkspaceLayout } from './layout.js';

export const UPLOAD_LIMITS = {
  /** Bytes of one upload, all files together (GPT-2 small's largest SAEs are a few hundred MB). */
  bytes: 8 * 2 ** 30,
  /** Files in one upload (a release folder of a few SAEs, or a dataset folder). */
  files: 256,
  /** Folder levels below the upload's root. */
  depth: 4,
} as const;

/** One segment of a path inside an upload: a file or folder name, never hidden, "." or "..". */
const SEGMENT = /^[^./\\\0:*?"<>|][^/\\\0:*?"<>|]{0,199}$/;

const WHAT = 'upload';

function refuse(message: string): never {
  throw new ApiError('bad_request', `${WHAT}: ${message}`);
}

/**
 * Checks a manifest (what the client says it sends) before any byte is written: a list of files with
 * relative paths of safe segments, sizes that are safe integers, within the limits and the free disk
 * space, no file listed twice or inside another file's path. Returns it typed.
 */
export function checkManifest(manifest: unknown, limitBytes: number = UPLOAD_LIMITS.bytes): UploadFile[] {
  if (!Array.isArray(manifest) || manifest.length === 0) refuse('the manifest must be a non-empty list of {path, size}');
  if (manifest.length > UPLOAD_LIMITS.files) refuse(`${manifest.length} files; at most ${UPLOAD_LIMITS.files} per upload`);
  const files: UploadFile[] = [];
  const filePaths = new Set<string>();
  const folderPaths = new Set<string>();
  let total = 0;
  manifest.forEach((item: unknown, i) => {
    const entry = item as Partial<UploadFile> | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.path !== 'string' || typeof entry.size !== 'number') {
      refuse(`file ${i} must be {"path": string, "size": integer}, got ${JSON.stringify(item)?.slice(0, 80)}`);
    }
    const segments = entry.path.split('/');
    if (segments.length > UPLOAD_LIMITS.depth + 1 || !segments.every((segment) => SEGMENT.test(segment))) {
      refuse(`file path ${JSON.stringify(entry.path)} must be relative, at most ${UPLOAD_LIMITS.depth + 1} names joined by "/", each without "\\", ":", wildcards or a leading "."`);
    }
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) refuse(`size of ${entry.path} must be a whole number of bytes, got ${entry.size}`);
    const folders = segments.slice(0, -1).map((_, depth) => segments.slice(0, depth + 1).join('/'));
    if (filePaths.has(entry.path) || folderPaths.has(entry.path) || folders.some((folder) => filePaths.has(folder))) {
      refuse(`${entry.path} is listed twice, or is both a file and a folder of the same upload`);
    }
    filePaths.add(entry.path);
    for (const folder of folders) folderPaths.add(folder);
    total += entry.size;
    files.push({ path: entry.path, size: entry.size });
  });
  if (total > limitBytes) refuse(`${total} bytes in all; at most ${limitBytes} bytes per upload`);
  return files;
}

/** Refuses an upload the disk cannot hold, before it fills the disk the workspace lives on. */
function checkFreeSpace(dir: string, bytes: number): void {
  const stats = statfsSync(dir);
  const free = stats.bavail * stats.bsize;
  if (bytes > free) refuse(`${bytes} bytes do not fit: ${free} bytes free on the disk of ${dir}`);
}

/** Splits one byte stream into the manifest's files and writes each into `root`. */
async function writeFiles(root: string, files: UploadFile[], body: AsyncIterable<Uint8Array>, onProgress?: (done: number, total: number) => void): Promise<void> {
  const total = files.reduce((sum, file) => sum + file.size, 0);
  let index = -1;
  let fd: number | null = null;
  let left = 0;
  let done = 0;
  const next = (): void => {
    if (fd !== null) {
      fsyncSync(fd);
      closeSync(fd);
      fd = null;
    }
    // Files of zero bytes are complete as soon as they are opened.
    while (left === 0 && ++index < files.length) {
      const file = files[index]!;
      const target = path.join(root, ...file.path.split('/'));
      mkdirSync(path.dirname(target), { recursive: true });
      fd = openSync(target, 'wx');
      left = file.size;
      if (left === 0) {
        closeSync(fd);
        fd = null;
      }
    }
  };
  try {
    next();
    for await (const chunk of body) {
      let offset = 0;
      while (offset < chunk.byteLength) {
        if (fd === null) refuse(`more bytes than the manifest's ${total}`);
        const take = Math.min(left, chunk.byteLength - offset);
        writeAll(fd, chunk.subarray(offset, offset + take));
        offset += take;
        left -= take;
        done += take;
        if (left === 0) next();
      }
      onProgress?.(done, total);
    }
    if (done < total) refuse(`the stream ended after ${done} of ${total} bytes (${files[index]?.path ?? 'the last file'} is incomplete); nothing was kept`);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

export interface ReceiveOptions {
  limitBytes?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Receives an upload into uploads/<new id>/: all of it, or (on any error: a short or long stream, a
 * full disk, a client gone) nothing. `body` yields the files' bytes back to back, in manifest order.
 */
export async function receiveUpload(layout: WorkspaceLayout, manifest: unknown, body: AsyncIterable<Uint8Array>, options: ReceiveOptions = {}): Promise<UploadReceipt> {
  const files = checkManifest(manifest, options.limitBytes);
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  const dir = layout.dir('uploads');
  mkdirSync(dir, { recursive: true });
  checkFreeSpace(dir, bytes);
  const upload = `up-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
  const final = path.join(dir, upload);
  const staging = makeTempSiblingDir(final);
  try {
    await writeFiles(staging, files, body, options.onProgress);
    renameSync(staging, final);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  fsyncDir(dir);
  return { upload, files, bytes };
}

/** The folder of a received upload, or not_found when there is none by that id inside the workspace. */
export function requireUpload(layout: WorkspaceLayout, method: string, id: string): string {
  const entry = layout.entry(method, 'uploads', id);
  if (entry.state !== 'present') throw new ApiError('not_found', `${method}: no upload "${id}" in ${layout.dir('uploads')}; upload the files again (an upload is used once)`);
  return entry.path;
}

/** Removes a consumed upload; what it held was moved or copied into the workspace, or refused. */
export function removeUpload(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
}
