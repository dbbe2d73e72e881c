// The server outlives what its streams meet: a file removed between the check and the open, and a
// WebSocket client that sends a frame over the size limit. Either used to raise an 'error' event
// with no listener, which kills `serve`.
import { createReadStream, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { startApiServer, type ApiServer } from '../../../src-main/server/server.js';
import { eventsProtocols } from '../../../src-shared/events-socket.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'sae-server-faults-')));
const rendererDir = path.join(base, 'renderer');
const workspaceDir = path.join(base, 'workspace');
const TOKEN = 'b'.repeat(48);
let dispatcher: Dispatcher;
let server: ApiServer;

function get(route: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path: route, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(rendererDir, 'assets', 'vanishing.js'), 'here at the check, gone at the open');
  dispatcher = new Dispatcher({ workspace: workspaceDir, warn: () => {} });
  server = await startApiServer({
    backend: dispatcher,
    rendererDir,
    token: TOKEN,
    openFile: (file) => {
      if (path.basename(file) === 'vanishing.js') rmSync(file);
      return createReadStream(file);
    },
  });
});

afterAll(async () => {
  await server.close();
  await dispatcher.close();
  rmSync(base, { recursive: true, force: true });
});

describe('server faults', () => {
  it('answers 404 for a file removed between the check and the open, and keeps serving', async () => {
    expect(await get('/assets/vanishing.js')).toEqual({ status: 404, body: 'not found\n' });
    expect(await get('/')).toEqual({ status: 200, body: '<!doctype html><title>app</title>' });
  });

  it('drops a WebSocket client that sends an oversized frame, and keeps serving', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, eventsProtocols(TOKEN));
    await new Promise<void>((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send('x'.repeat(128 * 1024));
    // 1009: "message too big", the server's own close.
    expect(await closed).toBe(1009);
    expect((await get('/')).status).toBe(200);
  });
});
