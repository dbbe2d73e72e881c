// One downloader per blob across processes (the app and the CLI may fetch gpt2 at once): two writers
// appending to the same .incomplete file would interleave their bytes. The lock is a file created
// exclusively and holding the owner's pid; a lock whose process is gone is stale and taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 250;
/** A lock file still without a pid after this long was left by a writer that died mid-creation. */
const EMPTY_LOCK_STALE_MS = 10_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(lockPath: string): boolean {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    if (Number.isInteger(pid) && pid > 0) return !isAlive(pid);
    return Date.now() - statSync(lockPath).mtimeMs > EMPTY_LOCK_STALE_MS;
  } catch {
    return false; // removed meanwhile: the next attempt to create it decides
  }
}

function tryCreate(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, 'wx');
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Runs `fn` while holding `lockPath`, waiting for another holder (this process or another) to finish. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  mkdirSync(path.dirname(lockPath), { recursive: true });
  while (!tryCreate(lockPath)) {
    if (isStale(lockPath)) {
      rmSync(lockPath, { force: true });
      continue;
    }
    await sleep(POLL_MS, undefined, { signal });
  }
  try {
    return await fn();
  } finally {
    rmSync(lockPath, { force: true });
  }
}
