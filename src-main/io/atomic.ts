// Writes that either land whole or not at all: a crash, a full disk or bad input midway never leaves
// a half-written file where a reader would take it for a good one. The data goes to a temporary
// sibling (same folder, so the rename cannot cross file systems), is fsynced, then renamed over the
// target; the folder is fsynced too so the rename itself survives a power cut.
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, existsSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** A fresh temporary name beside `target`, carrying this process's pid so a later start removes it if we die. */
export function tempSibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** What the writers below leave when killed mid-write, each name carrying the writer's pid. */
const TEMP_SIBLINGS = [
  /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/, // tempSibling: a file being written
  /^\..+\.tmp-(\d+)-[^/]{6}$/, // makeTempSiblingDir: a folder being built
  /^.+\.old-(\d+)-[0-9a-f]{8}$/, // replaceDirAtomic: the old folder, set aside
];

/**
 * Removes the temporary siblings in `dir` that writers killed mid-write left behind, and returns
 * their names; those of a writer still running are kept.
 */
export function removeStaleTempSiblings(dir: string, writerAlive: (pid: number) => boolean): string[] {
  const stale = readdirSync(dir).filter((name) => {
    const pid = TEMP_SIBLINGS.map((pattern) => pattern.exec(name)).find((match) => match !== null)?.[1];
    return pid !== undefined && !writerAlive(Number(pid));
  });
  for (const name of stale) rmSync(path.join(dir, name), { recursive: true, force: true });
  return stale;
}

/** Flushes a folder's entries (renames, creations). Windows cannot open folders for fsync; skip there. */
export function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `target` by calling `write` on a descriptor of a temporary sibling, then renaming it into
 * place. If `write` throws, the temporary file is removed and `target` is untouched. For writers that
 * stream large data (safetensors of many tensors) without building the whole file in memory.
 */
export function withAtomicFile(target: string, write: (fd: number) => void): void {
  const tmp = tempSibling(target);
  const fd = openSync(tmp, 'wx');
  let renamed = false;
  try {
    try {
      write(fd);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
    renamed = true;
  } finally {
    if (!renamed) rmSync(tmp, { force: true });
  }
  fsyncDir(path.dirname(target));
}

/** Writes all of `data` at the descriptor's position, looping over short writes. */
export function writeAll(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.byteLength) offset += writeSync(fd, data, offset, data.byteLength - offset);
}

export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  withAtomicFile(target, (fd) => writeAll(fd, bytes));
}

/**
 * Creates `target` whole, or returns false without touching it when it already exists: the data is
 * written to a temporary sibling, then hard-linked to the target name, which (unlike a rename) fails
 * rather than replace a file. Two processes claiming the same name cannot both succeed.
 */
export function createFileExclusive(target: string, data: string | Uint8Array): boolean {
  const tmp = tempSibling(target);
  const fd = openSync(tmp, 'wx');
  try {
    try {
      writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  fsyncDir(path.dirname(target));
  return true;
}

/** Pretty-printed JSON with a trailing newline, written atomically. */
export function writeJsonAtomic(target: string, value: unknown): void {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) throw new TypeError(`cannot write ${target}: the value is not JSON-serialisable (${typeof value})`);
  writeFileAtomic(target, `${text}\n`);
}

/**
 * A fresh empty folder next to `finalDir` in which to build its contents before `replaceDirAtomic`
 * moves it into place. Being a sibling guarantees the final rename stays on one file system.
 */
export function makeTempSiblingDir(finalDir: string): string {
  // A target whose parent is not there yet (`lm export --out resources/models/x`) gets its parent.
  mkdirSync(path.dirname(path.resolve(finalDir)), { recursive: true });
  const dir = mkdtempSync(path.join(path.dirname(path.resolve(finalDir)), `.${path.basename(finalDir)}.tmp-${process.pid}-`));
  // mkdtemp makes the folder private (0700); the folder it becomes is an ordinary shared one.
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * Moves a fully built folder `tmpDir` to `finalDir`. When `finalDir` exists it is first renamed aside
 * and deleted only after the new folder is in place (POSIX cannot rename a folder over a non-empty
 * one), so at every instant `finalDir` is either the old complete folder, the new one, or — for the
 * instant between the two renames — absent; never a mix. On failure the old folder is put back.
 */
export function replaceDirAtomic(tmpDir: string, finalDir: string): void {
  const parent = path.dirname(path.resolve(finalDir));
  if (path.dirname(path.resolve(tmpDir)) !== parent) {
    throw new Error(`replaceDirAtomic: ${tmpDir} must be a sibling of ${finalDir} (use makeTempSiblingDir) so the rename stays on one file system`);
  }
  let aside: string | null = null;
  if (existsSync(finalDir)) {
    aside = `${path.resolve(finalDir)}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
    renameSync(finalDir, aside);
  }
  try {
    renameSync(tmpDir, finalDir);
  } catch (err) {
    if (aside) renameSync(aside, finalDir);
    throw err;
  }
  fsyncDir(parent);
  if (aside) rmSync(aside, { recursive: true, force: true });
}
