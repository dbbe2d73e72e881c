// Uploads land in uploads/<id>/ whole or not at all: the manifest is checked before a byte is
// written, and a stream shorter or longer than it says leaves nothing behind.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src-shared/api.js';
import { WorkspaceLayout } from '../../../src-main/jobs/workspace/layout.js';
import { checkManifest, receiveUpload, requireUpload, UPLOAD_LIMITS } from '../../../src-main/jobs/workspace/uploads.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-uploads-'));
const layout = new WorkspaceLayout(root);
layout.ensure();
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The bytes of `chunks` as the stream a request body is, in pieces of `piece` bytes. */
async function* stream(chunks: Buffer[], piece = 3): AsyncGenerator<Uint8Array> {
  const all = Buffer.concat(chunks);
  for (let i = 0; i < all.length; i += piece) yield all.subarray(i, i + piece);
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('bad_request');
    return (err as Error).message;
  }
  throw new Error('not refused');
}

const uploadsLeft = (): string[] => readdirSync(layout.dir('uploads'));

describe('checkManifest', () => {
  it('refuses paths that could leave the upload, duplicates, bad sizes and too much', () => {
    expect(refusal(() => checkManifest([{ path: '../x', size: 1 }]))).toMatch(/"\.\.\/x" must be relative/);
    expect(refusal(() => checkManifest([{ path: '/etc/passwd', size: 1 }]))).toMatch(/must be relative/);
    expect(refusal(() => checkManifest([{ path: 'a\\..\\b', size: 1 }]))).toMatch(/must be relative/);
    expect(refusal(() => checkManifest([{ path: 'C:x', size: 1 }]))).toMatch(/must be relative/);
    expect(refusal(() => checkManifest([{ path: 'a/./b', size: 1 }]))).toMatch(/must be relative/);
    expect(refusal(() => checkManifest([{ path: '.hidden', size: 1 }]))).toMatch(/leading "\."/);
    expect(refusal(() => checkManifest([{ path: 'a/b/c/d/e/f', size: 1 }]))).toMatch(/at most 5 names/);
    expect(refusal(() => checkManifest([{ path: 'a', size: 1 }, { path: 'a', size: 2 }]))).toMatch(/a is listed twice/);
    expect(refusal(() => checkManifest([{ path: 'a', size: 1 }, { path: 'a/b', size: 2 }]))).toMatch(/a\/b is listed twice, or is both a file and a folder/);
    expect(refusal(() => checkManifest([{ path: 'a/b', size: 1 }, { path: 'a', size: 2 }]))).toMatch(/both a file and a folder/);
    expect(refusal(() => checkManifest([{ path: 'a', size: -1 }]))).toMatch(/size of a must be a whole number of bytes, got -1/);
    expect(refusal(() => checkManifest([{ path: 'a', size: 2 ** 60 }]))).toMatch(/whole number/);
    expect(refusal(() => checkManifest([{ path: 'a', size: 11 }], 10))).toMatch(/11 bytes in all; at most 10 bytes/);
    expect(refusal(() => checkManifest([]))).toMatch(/non-empty list/);
    expect(refusal(() => checkManifest({ path: 'a', size: 1 }))).toMatch(/non-empty list/);
    expect(refusal(() => checkManifest([{ path: 'a' }]))).toMatch(/file 0 must be \{"path": string, "size": integer\}/);
    const many = Array.from({ length: UPLOAD_LIMITS.files + 1 }, (_, i) => ({ path: `f${i}`, size: 0 }));
    expect(refusal(() => checkManifest(many))).toMatch(/257 files; at most 256/);
    expect(checkManifest([{ path: 'release/16/cfg.json', size: 3 }, { path: 'notes 1.txt', size: 0 }])).toEqual([{ path: 'release/16/cfg.json', size: 3 }, { path: 'notes 1.txt', size: 0 }]);
  });
});

describe('receiveUpload', () => {
  it('writes every file of the stream under a fresh id, empty files included', async () => {
    const files = [Buffer.from('{"d_sae": 16}'), Buffer.alloc(0), Buffer.from('weights!')];
    const manifest = [{ path: 'rel/16/cfg.json', size: 13 }, { path: 'rel/empty.txt', size: 0 }, { path: 'rel/16/w.safetensors', size: 8 }];
    const seen: number[] = [];
    const receipt = await receiveUpload(layout, manifest, stream(files), { onProgress: (done) => seen.push(done) });
    expect(receipt).toMatchObject({ files: manifest, bytes: 21 });
    expect(receipt.upload).toMatch(/^up-[a-z0-9]+-[0-9a-f]{12}$/);
    const folder = requireUpload(layout, 'test', receipt.upload);
    expect(readFileSync(path.join(folder, 'rel', '16', 'cfg.json'), 'utf8')).toBe('{"d_sae": 16}');
    expect(readFileSync(path.join(folder, 'rel', 'empty.txt'), 'utf8')).toBe('');
    expect(readFileSync(path.join(folder, 'rel', '16', 'w.safetensors'), 'utf8')).toBe('weights!');
    expect(seen.at(-1)).toBe(21);
    rmSync(folder, { recursive: true });
  });

  it('keeps nothing of a stream that ends early or runs past the manifest', async () => {
    const manifest = [{ path: 'a.txt', size: 4 }, { path: 'b.txt', size: 4 }];
    await expect(receiveUpload(layout, manifest, stream([Buffer.from('abcdef')]))).rejects.toThrow(/ended after 6 of 8 bytes \(b\.txt is incomplete\); nothing was kept/);
    expect(uploadsLeft()).toEqual([]);
    await expect(receiveUpload(layout, manifest, stream([Buffer.from('abcdefghi')]))).rejects.toThrow(/more bytes than the manifest's 8/);
    expect(uploadsLeft()).toEqual([]);
  });

  it('keeps nothing when the client goes away mid-stream', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('ab');
      throw new Error('aborted');
    }
    await expect(receiveUpload(layout, [{ path: 'a.txt', size: 4 }], broken())).rejects.toThrow('aborted');
    expect(uploadsLeft()).toEqual([]);
  });

  it('refuses an upload larger than the free disk before writing', async () => {
    await expect(receiveUpload(layout, [{ path: 'huge', size: 2 ** 52 }], stream([]), { limitBytes: 2 ** 53 })).rejects.toThrow(/4503599627370496 bytes do not fit: \d+ bytes free/);
    expect(uploadsLeft()).toEqual([]);
  });

  it('names uploads by id only: a path or an unknown id is refused', () => {
    expect(() => requireUpload(layout, 'saes.import', '../saes')).toThrow(/upload "\.\.\/saes" is not an entry of the workspace's uploads\//);
    expect(() => requireUpload(layout, 'saes.import', 'up-none')).toThrow(/no upload "up-none"/);
    expect(existsSync(layout.dir('uploads'))).toBe(true);
  });
});
