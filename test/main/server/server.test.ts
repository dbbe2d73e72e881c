import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { startApiServer, type ApiServer } from '../../../src-main/server/server.js';
import { EVENTS_PROTOCOL, eventsProtocols } from '../../../src-shared/events-socket.js';

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

/** The upgrade's status, and the subprotocol the server selected when it accepted. */
function upgrade(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<{ status: number; protocol?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
    ws.on('open', () => {
      resolve({ status: 101, protocol: ws.protocol });
      ws.close();
    });
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode! }));
    ws.on('error', () => resolve({ status: -1 }));
  });
}

async function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return (await upgrade(url, { headers })).status;
}

beforeAll(async () => {
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(base, 'secret.txt'), 'outside the roots');
  dispatcher = new Dispatcher({ workspace: workspaceDir, warn: () => {} });
  writeFileSync(path.join(workspaceDir, 'datasets', 'corpus.txt'), 'workspace file');
  symlinkSync(path.join(base, 'secret.txt'), path.join(workspaceDir, 'datasets', 'link.txt'));
  server = await startApiServer({ backend: dispatcher, rendererDir, token: TOKEN });
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

  it('refuses the API and the events without the token, or with a wrong one, in any place but the header', async () => {
    const events = `ws://127.0.0.1:${server.port}/api/events`;
    const refused: Array<Record<string, string>> = [{}, { Authorization: 'Bearer wrong' }, { Authorization: TOKEN }, { Cookie: `sae_explorer_token_${server.port}=${TOKEN}` }];
    for (const headers of refused) {
      expect((await send('/api/workspace.info', { method: 'POST', headers, body: '{}' })).status, JSON.stringify(headers)).toBe(401);
      expect(await upgradeStatus(events, headers), JSON.stringify(headers)).toBe(401);
    }
    // A token in the URL is the page's to read, never accepted by the server: URLs end up in logs.
    expect((await send(`/api/workspace.info?token=${TOKEN}`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect(await upgradeStatus(`${events}?token=${TOKEN}`)).toBe(401);
    expect((await upgrade(events, { protocols: eventsProtocols('wrong') })).status).toBe(401);
  });

  it('accepts the token as a Bearer header, and on the events socket as a subprotocol it never echoes', async () => {
    expect((await send('/api/workspace.info', { method: 'POST', headers: bearer, body: '{}' })).status).toBe(200);
    expect(await upgrade(`ws://127.0.0.1:${server.port}/api/events`, { protocols: eventsProtocols(TOKEN) })).toEqual({ status: 101, protocol: EVENTS_PROTOCOL });
    expect((await upgrade(`ws://127.0.0.1:${server.port}/api/events`, { headers: bearer })).status).toBe(101);
  });

  it('serves the renderer build to any loopback client and never sets a cookie', async () => {
    for (const route of ['/', `/?token=${TOKEN}`, '/index.html']) {
      const page = await send(route);
      expect([page.status, page.body], route).toEqual([200, '<!doctype html><title>app</title>']);
      // A cookie would go to every server on 127.0.0.1, whatever its port.
      expect(page.headers['set-cookie'], route).toBeUndefined();
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.headers['referrer-policy']).toBe('no-referrer');
    }
    const asset = await send('/assets/app.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.body).toBe('console.log(1)');
  });

  it('serves nothing of the workspace, and nothing outside the build', async () => {
    for (const route of [
      '/files/datasets/corpus.txt',
      '/files/datasets/link.txt',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/%2e%2e/workspace/datasets/corpus.txt',
      '/..%5csecret.txt',
    ]) {
      const reply = await send(route, { headers: bearer });
      expect(reply.status, route).toBe(404);
      expect(reply.body).not.toContain('outside the roots');
      expect(reply.body).not.toContain('workspace file');
    }
    expect((await send('/index.html', { method: 'PUT', headers: bearer, body: 'x' })).status).toBe(405);
  });

  it('refuses a foreign Host (DNS rebinding) and cross-origin API calls', async () => {
    expect((await send('/', { headers: { Host: 'evil.example:80' } })).status).toBe(403);
    expect((await send('/api/workspace.info', { method: 'POST', headers: { ...bearer, Host: 'evil.example:80' }, body: '{}' })).status).toBe(403);
    const crossSite = await send('/api/workspace.info', { method: 'POST', headers: { ...bearer, Origin: 'http://evil.example' }, body: '{}' });
    expect(crossSite.status).toBe(403);
    expect(await upgradeStatus(`ws://127.0.0.1:${server.port}/api/events`, { ...bearer, Origin: 'http://evil.example' })).toBe(403);
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

  it('answers an over-size body with 413, not a reset', async () => {
    const reply = await send('/api/workspace.info', { method: 'POST', headers: bearer, body: JSON.stringify({ pad: 'x'.repeat(2 << 20) }) });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toEqual({ ok: false, error: { code: 'bad_request', message: 'workspace.info: request body larger than 1048576 bytes; params are small JSON objects' } });
    // The connection's server is still answering.
    expect((await send('/api/workspace.info', { method: 'POST', headers: bearer, body: '{}' })).status).toBe(200);
  });

  it('answers JSON nested 100,000 deep with 400, not a stack overflow', async () => {
    const deep = `{"model":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const reply = await send('/api/features.list', { method: 'POST', headers: bearer, body: deep });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({ ok: false, error: { code: 'bad_request', message: 'features.list: body nests deeper than 32 levels; params are small JSON objects' } });
  });

  it('answers params outside their ranges with 400 naming the field', async () => {
    const reply = await send('/api/features.list', { method: 'POST', headers: bearer, body: '{"model":"tiny","sae":"fam/16","offset":1e300}' });
    expect(reply.status).toBe(400);
    const { error } = JSON.parse(reply.body) as { error: { code: string; message: string } };
    expect(error.code).toBe('bad_request');
    expect(error.message).toMatch(/^features\.list: "offset" must be an integer ≥ 0 ≤ \d+, got 1e\+300$/);
  });
});
