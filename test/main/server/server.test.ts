import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { startApiServer, type ApiServer } from '../../../src-main/server/server.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'sae-server-')));
const rendererDir = path.join(base, 'renderer');
const workspaceDir = path.join(base, 'workspace');
let dispatcher: Dispatcher;
let server: ApiServer;
const TOKEN = 'a'.repeat(48);

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Raw HTTP so the test controls the path bytes and the Host header exactly. */
function send(pathAndQuery: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path: pathAndQuery, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const bearer = { Authorization: `Bearer ${TOKEN}` };

function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
    ws.on('error', () => resolve(-1));
  });
}

beforeAll(async () => {
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(base, 'secret.txt'), 'outside the roots');
  dispatcher = new Dispatcher({ workspace: workspaceDir, warn: () => {} });
  writeFileSync(path.join(workspaceDir, 'datasets', 'corpus.txt'), 'workspace file');
  symlinkSync(path.join(base, 'secret.txt'), path.join(workspaceDir, 'datasets', 'link.txt'));
  server = await startApiServer({ backend: dispatcher, rendererDir, workspaceDir, token: TOKEN });
});

afterAll(async () => {
  await server.close();
  await dispatcher.close();
  rmSync(base, { recursive: true, force: true });
});

describe('browser-mode server', () => {
  it('binds loopback by default and prints a URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`);
  });

  it('refuses every route without the token, or with a wrong one', async () => {
    for (const route of ['/', '/index.html', '/assets/app.js', '/files/datasets/corpus.txt']) {
      expect((await send(route)).status, route).toBe(401);
      expect((await send(`${route}?token=wrong`)).status, route).toBe(401);
      expect((await send(route, { headers: { Authorization: 'Bearer wrong' } })).status, route).toBe(401);
      expect((await send(route, { headers: { Cookie: `sae_explorer_token_${server.port}=wrong` } })).status, route).toBe(401);
      // Another server's cookie on the same host does not count here.
      expect((await send(route, { headers: { Cookie: `sae_explorer_token_1=${TOKEN}` } })).status, route).toBe(401);
    }
    expect((await send('/api/workspace.info', { method: 'POST', body: '{}' })).status).toBe(401);
    expect(await upgradeStatus(`ws://127.0.0.1:${server.port}/api/events`)).toBe(401);
    expect(await upgradeStatus(`ws://127.0.0.1:${server.port}/api/events?token=wrong`)).toBe(401);
  });

  it('serves the app with the token and hands it back as a strict cookie that then suffices', async () => {
    const first = await send(`/?token=${TOKEN}`);
    expect(first.status).toBe(200);
    expect(first.body).toBe('<!doctype html><title>app</title>');
    expect(first.headers['set-cookie']).toEqual([`sae_explorer_token_${server.port}=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`]);
    expect(first.headers['content-security-policy']).toContain("script-src 'self'");
    expect(first.headers['referrer-policy']).toBe('no-referrer');
    const asset = await send('/assets/app.js', { headers: { Cookie: `sae_explorer_token_${server.port}=${TOKEN}` } });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.body).toBe('console.log(1)');
  });

  it('serves workspace files read-only and nothing outside the build and the workspace', async () => {
    const file = await send('/files/datasets/corpus.txt', { headers: bearer });
    expect([file.status, file.body]).toEqual([200, 'workspace file']);
    for (const route of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/files/../secret.txt',
      '/files/%2e%2e/secret.txt',
      '/files/..%2fsecret.txt',
      '/files/datasets/link.txt',
      '/files/datasets/..%5c..%5csecret.txt',
      '/files/%2fetc%2fpasswd',
    ]) {
      const reply = await send(route, { headers: bearer });
      expect(reply.status, route).toBe(404);
      expect(reply.body).not.toContain('outside the roots');
    }
    expect((await send('/files/datasets/corpus.txt', { method: 'PUT', headers: bearer, body: 'x' })).status).toBe(405);
  });

  it('refuses a foreign Host (DNS rebinding) and cross-origin API calls', async () => {
    expect((await send(`/?token=${TOKEN}`, { headers: { Host: 'evil.example:80' } })).status).toBe(403);
    const crossSite = await send('/api/workspace.info', { method: 'POST', headers: { ...bearer, Origin: 'http://evil.example' }, body: '{}' });
    expect(crossSite.status).toBe(403);
    expect(await upgradeStatus(`ws://127.0.0.1:${server.port}/api/events?token=${TOKEN}`, { Origin: 'http://evil.example' })).toBe(403);
    const sameOrigin = await send('/api/workspace.info', { method: 'POST', headers: { ...bearer, Origin: `http://127.0.0.1:${server.port}` }, body: '{}' });
    expect(sameOrigin.status).toBe(200);
  });

  it('answers API requests with the contract envelope, and malformed ones with bad_request', async () => {
    const info = await send('/api/workspace.info', { method: 'POST', headers: bearer, body: '{}' });
    expect(JSON.parse(info.body)).toMatchObject({ ok: true, result: { root: workspaceDir } });
    const notJson = await send('/api/workspace.info', { method: 'POST', headers: bearer, body: '{oops' });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const unknown = await send('/api/toString', { method: 'POST', headers: bearer, body: '{}' });
    expect([unknown.status, JSON.parse(unknown.body)]).toEqual([404, { ok: false, error: { code: 'bad_request', message: 'unknown request "toString"' } }]);
    expect((await send('/api/workspace.info', { headers: bearer })).status).toBe(405);
  });
});
