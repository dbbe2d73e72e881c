// On-disk activation cache: one pass of GPT-2 over a corpus, reused by every later run on the same
// (model, hook, context, tokens). Shards hold the activations of `shardWindows` consecutive windows
// in corpus order (BOS dropped), raw little-endian F16 or F32, beside an index.json that records the
// key and a SHA-256 of each shard's token ids — so a run on other data, or another tokenizer, never
// reads activations that are not its own. Shards and the index are written atomically, and the index
// is rewritten after every shard, so an interrupted build resumes where it stopped.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import { f16ArrayToFloat32, float32ArrayToF16 } from '../io/half.js';
import type { ActivationSource } from './activations.js';
import type { WindowSet } from './windows.js';

export type CacheDtype = 'f16' | 'f32';

/** What must match for a run to reuse a cache (the token hashes cover dataset, tokenizer and context). */
export interface CacheKey {
  /** Model name or folder as the run names it. */
  model: string;
  hook: string;
  contextSize: number;
  dIn: number;
  dtype: CacheDtype;
}

interface ShardRecord {
  file: string;
  /** Windows in this shard (shardWindows except at the end of the window set). */
  windows: number;
  /** SHA-256 of the shard's token ids, hex. */
  tokenHash: string;
}

interface CacheIndex extends CacheKey {
  version: 1;
  shardWindows: number;
  shards: ShardRecord[];
}

export interface CacheOptions {
  /** Windows per shard. Default 256 (≈ 12 MB of F16 at d 768, context 64). */
  shardWindows?: number;
  onShard?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

const INDEX = 'index.json';
const KEY_FIELDS: Array<keyof CacheKey> = ['model', 'hook', 'contextSize', 'dIn', 'dtype'];

function tokenHash(windows: WindowSet, start: number, count: number): string {
  const view = windows.tokens.subarray(start * windows.contextSize, (start + count) * windows.contextSize);
  return createHash('sha256').update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)).digest('hex');
}

function readIndex(dir: string): CacheIndex | undefined {
  const path = join(dir, INDEX);
  if (!existsSync(path)) return undefined;
  let index: CacheIndex;
  try {
    index = JSON.parse(readFileSync(path, 'utf8')) as CacheIndex;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message}); delete the folder to rebuild the cache`);
  }
  if (index.version !== 1 || !Array.isArray(index.shards)) throw new Error(`${path}: not an activation cache index of version 1; delete the folder to rebuild it`);
  return index;
}

function checkKey(dir: string, index: CacheIndex, key: CacheKey, shardWindows: number): void {
  for (const field of KEY_FIELDS) {
    if (index[field] !== key[field]) {
      throw new Error(
        `activation cache ${dir} was built with ${field} ${JSON.stringify(index[field])}, but this run has ${JSON.stringify(key[field])}; ` +
          'use another --cache-activations folder or delete this one',
      );
    }
  }
  if (index.shardWindows !== shardWindows) throw new Error(`activation cache ${dir} has ${index.shardWindows} windows per shard, expected ${shardWindows}`);
}

/**
 * Makes sure `dir` caches the activations of windows [0, neededWindows) — computing missing shards
 * with `model` — and returns a source that reads them from disk.
 */
export async function openActivationCache(
  dir: string,
  key: CacheKey,
  windows: WindowSet,
  neededWindows: number,
  model: ActivationSource,
  options: CacheOptions = {},
): Promise<CachedActivationSource> {
  const shardWindows = options.shardWindows ?? 256;
  if (model.dIn !== key.dIn) throw new Error(`activation cache key says dIn ${key.dIn} but the model gives ${model.dIn}`);
  if (neededWindows > windows.count) throw new Error(`the cache needs ${neededWindows} windows but the window set has ${windows.count}`);
  mkdirSync(dir, { recursive: true });
  const index: CacheIndex = readIndex(dir) ?? { version: 1, ...key, shardWindows, shards: [] };
  checkKey(dir, index, key, shardWindows);
  const nShards = Math.ceil(neededWindows / shardWindows);
  for (let s = 0; s < nShards; s++) {
    await new Promise((resolve) => setImmediate(resolve)); // lets a cancel (signal) arrive between shards
    options.signal?.throwIfAborted();
    const start = s * shardWindows;
    const count = Math.min(shardWindows, windows.count - start);
    const hash = tokenHash(windows, start, count);
    const existing = index.shards[s];
    if (existing && existing.windows === count) {
      if (existing.tokenHash !== hash) {
        throw new Error(`activation cache ${dir} shard ${s} was built from other tokens (another dataset, tokenizer or context); use another --cache-activations folder`);
      }
      options.onShard?.(s + 1, nShards);
      continue;
    }
    const acts = await model.activations(Array.from({ length: count }, (_, i) => start + i)); // [count · (ctx − 1), d]
    const file = `shard-${String(s).padStart(5, '0')}.${key.dtype}`;
    const data = key.dtype === 'f16' ? float32ArrayToF16(acts) : acts;
    writeFileAtomic(join(dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    index.shards[s] = { file, windows: count, tokenHash: hash };
    writeJsonAtomic(join(dir, INDEX), index);
    options.onShard?.(s + 1, nShards);
  }
  return new CachedActivationSource(dir, index, windows.contextSize, neededWindows);
}

/** Reads cached activations window by window with positioned reads; never loads a whole shard. */
export class CachedActivationSource implements ActivationSource {
  readonly dIn: number;
  private readonly fds = new Map<number, number>();
  private readonly bytesPerValue: number;
  private readonly valuesPerWindow: number;

  constructor(
    private readonly dir: string,
    private readonly index: CacheIndex,
    contextSize: number,
    /** Windows the cache was verified for; reading past them is an error. */
    private readonly windowCount: number,
  ) {
    this.dIn = index.dIn;
    this.bytesPerValue = index.dtype === 'f16' ? 2 : 4;
    this.valuesPerWindow = (contextSize - 1) * index.dIn;
  }

  private fdFor(shard: number): number {
    let fd = this.fds.get(shard);
    if (fd === undefined) {
      fd = openSync(join(this.dir, this.index.shards[shard].file), 'r');
      this.fds.set(shard, fd);
    }
    return fd;
  }

  async activations(indices: ArrayLike<number>): Promise<Float32Array> {
    const out = new Float32Array(indices.length * this.valuesPerWindow);
    const bytes = new Uint8Array(this.valuesPerWindow * this.bytesPerValue);
    for (let i = 0; i < indices.length; i++) {
      const w = indices[i];
      if (w < 0 || w >= this.windowCount) throw new Error(`window ${w} is outside the ${this.windowCount} windows cached in ${this.dir}`);
      const shard = Math.floor(w / this.index.shardWindows);
      const position = (w - shard * this.index.shardWindows) * bytes.byteLength;
      let done = 0;
      while (done < bytes.byteLength) {
        const n = readSync(this.fdFor(shard), bytes, done, bytes.byteLength - done, position + done);
        if (n === 0) throw new Error(`${join(this.dir, this.index.shards[shard].file)} is truncated at byte ${position + done}; delete the cache folder to rebuild it`);
        done += n;
      }
      const values = this.bytesPerValue === 2 ? f16ArrayToFloat32(new Uint16Array(bytes.buffer)) : new Float32Array(bytes.buffer.slice(0));
      out.set(values, i * this.valuesPerWindow);
    }
    return out;
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
