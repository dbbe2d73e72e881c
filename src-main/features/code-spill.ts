// The harvest's first pass writes every batch's top-k codes to a temporary file beside the feature
// database, and the second pass reads them back in the same order instead of running GPT-2 and the
// encoders again: the second pass then costs only its trackers. Memory stays one batch; the disk
// holds tokens × Σk × 8 bytes (an index and a value per kept latent), removed when the harvest ends.
// The name carries our pid (io/atomic.ts's tempSibling), so a killed harvest's file is swept at the
// next start.
import { closeSync, openSync, readSync, rmSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { tempSibling, writeAll } from '../io/atomic.js';

/** Bytes one token's code takes per SAE of `k` kept latents. */
export const SPILL_BYTES_PER_ENTRY = 8;

/** Disk a spill of `tokens` needs for SAEs keeping `ks` latents per token. */
export function spillBytes(tokens: number, ks: number[]): number {
  return tokens * ks.reduce((a, k) => a + k, 0) * SPILL_BYTES_PER_ENTRY;
}

/** Free bytes of the file system holding `dir` for an unprivileged writer. */
export function freeDiskBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

export class CodeSpill {
  private readonly fd: number;
  private readPosition = 0;
  private closed = false;

  /** A new spill file beside `target` (e.g. the database file). */
  constructor(target: string) {
    this.path = tempSibling(path.resolve(`${target}.codes`));
    this.fd = openSync(this.path, 'wx+');
  }

  readonly path: string;

  /** Appends one batch's code of one SAE: [rows, k] values and indices. */
  write(values: Float32Array, indices: Int32Array): void {
    try {
      writeAll(this.fd, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      writeAll(this.fd, new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength));
    } catch (err) {
      // The disk filled after the check at the start (another writer): say where, and what to free.
      throw new Error(`${this.path}: could not spill the harvest's top-k codes between its passes (${(err as Error).message}); free disk space in ${path.dirname(this.path)} and harvest again`);
    }
  }

  /** The next code written, `entries` = rows × k of it, in the order `write` was called. */
  read(entries: number): { values: Float32Array; indices: Int32Array } {
    const values = new Float32Array(entries);
    const indices = new Int32Array(entries);
    this.readExactly(new Uint8Array(values.buffer));
    this.readExactly(new Uint8Array(indices.buffer));
    return { values, indices };
  }

  private readExactly(into: Uint8Array): void {
    let done = 0;
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, this.readPosition);
      if (n === 0) throw new Error(`${this.path}: the harvest's code spill ended ${into.length - done} bytes early (was it truncated while the harvest ran?)`);
      done += n;
      this.readPosition += n;
    }
  }

  /** Closes and removes the file; safe to call twice. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    rmSync(this.path, { force: true });
  }
}
