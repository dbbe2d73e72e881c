// PUT /api/upload over real HTTP: the token and origin guard it like the API, the manifest and the
// size limit are checked before the body is read, and an accepted upload is used by datasets.add.
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { startApiServer, type ApiServer } from '../../../src-main/server/server.js';
import { UPLOAD_MANIFEST_HEADER } from '../../../src-main/server/upload.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'sae-upload-http-')));
const workspaceDir = path.join(base, 'workspace');
const TOKEN = 'b'.repeat(48);
const LIMIT = 64;
let dispatcher: Dispatcher;
let server: ApiServer;

beforeAll(async () => {
  mkdirSync(path.join(base, 'renderer'));
  writeFileSync(path.join(base, 'renderer', 'index.html'), '<!doctype html>');
  dispatcher = new Dispatcher({ workspace: workspaceDir, warn: () => {} });
  server = await startApiServer({ backend: dispatcher, rendererDir: path.join(base, 'renderer'), token: TOKEN, workspace: workspaceDir, uploadLimitBytes: LIMIT });
});
afterAll(async () => {
  await server.close();
  await dispatcher.close();
  rmSync(base, { recursive: true, force: true });
});

function put(headers: Record<string, string>, body: string, method = 'PUT'): Promise<{ status: number; json: { ok: boolean; result?: { upload: string }; error?: { message: string } } | null; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path: '/api/upload', method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode!, json, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const manifest = (files: unknown): string => encodeURIComponent(JSON.stringify(files));
const auth = { Authorization: `Bearer ${TOKEN}` };
const uploadsLeft = (): string[] => readdirSync(path.join(workspaceDir, 'uploads'));

describe('PUT /api/upload', () => {
  it('stores the files and datasets.add takes them in', async () => {
    const body = 'first doc';
    const reply = await put({ ...auth, [UPLOAD_MANIFEST_HEADER]: manifest([{ path: 'my corpus.txt', size: body.length }]) }, body);
    expect(reply.status, reply.text).toBe(200);
    const upload = reply.json!.result!.upload;
    expect(reply.json).toEqual({ ok: true, result: { upload, files: [{ path: 'my corpus.txt', size: 9 }], bytes: 9 } });
    const added = await dispatcher.call('datasets.add', { upload });
    expect(added).toMatchObject({ ok: true, result: { id: 'my corpus.txt', kind: 'txt', sizeBytes: 9 } });
    expect(uploadsLeft()).toEqual([]);
  });

  it('refuses without the token, from another origin, with another method, a bad manifest, too many bytes or a wrong length', async () => {
    const good = { [UPLOAD_MANIFEST_HEADER]: manifest([{ path: 'a.txt', size: 3 }]) };
    expect((await put(good, 'abc')).status).toBe(401);
    expect((await put({ ...auth, ...good, Origin: 'http://evil.example' }, 'abc')).status).toBe(403);
    expect((await put({ ...auth, ...good }, 'abc', 'POST'))).toMatchObject({ status: 405 });
    expect(await put(auth, 'abc')).toMatchObject({ status: 400, json: { ok: false, error: { message: expect.stringMatching(/x-sae-upload-files header must list the files/) } } });
    expect(await put({ ...auth, [UPLOAD_MANIFEST_HEADER]: '%E0%A4%A' }, 'abc')).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/is not URI-encoded JSON/) } } });
    expect(await put({ ...auth, [UPLOAD_MANIFEST_HEADER]: manifest([{ path: '../../saes/x', size: 3 }]) }, 'abc')).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/^upload: file path "\.\.\/\.\.\/saes\/x" must be relative/) } } });
    expect(await put({ ...auth, [UPLOAD_MANIFEST_HEADER]: manifest([{ path: 'big.txt', size: LIMIT + 1 }]) }, 'x'.repeat(LIMIT + 1))).toMatchObject({ status: 413, json: { error: { message: 'upload: 65 bytes in all; at most 64 bytes per upload' } } });
    expect(await put({ ...auth, ...good }, 'abcd')).toMatchObject({ status: 400, json: { error: { message: "upload: Content-Length must be the files' 3 bytes, got 4" } } });
    expect(uploadsLeft()).toEqual([]);
  });
});
