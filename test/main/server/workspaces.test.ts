// Browser mode over real HTTP: an SAE downloads as a .zip (SAELens, or sparsify where it can hold the
// SAE), found by id only; and opening another workspace keeps the events socket, the uploads and the
// downloads with whichever workspace is open.
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiEvent, WorkspaceChoices } from '../../../src-shared/api.js';
import { eventsProtocols } from '../../../src-shared/events-socket.js';
import { WorkspaceSwitch } from '../../../src-main/jobs/switch.js';
import { WorkspaceCatalog } from '../../../src-main/jobs/workspace/catalog.js';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { loadSparsify } from '../../../src-main/sae/formats/sparsify.js';
import { recentInMemory } from '../../../src-main/server/serve.js';
import { startApiServer, type ApiServer } from '../../../src-main/server/server.js';
import { UPLOAD_MANIFEST_HEADER } from '../../../src-main/server/upload.js';
import { randomBundle } from '../../fixtures/sae/random-bundle.js';
import { InProcessCompute } from '../jobs/in-process-compute.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'sae-workspaces-http-')));
const first = path.join(base, 'first');
const second = path.join(base, 'second');
const TOKEN = 'c'.repeat(48);
const LIMIT = 8 * 1024 * 1024;
const plain = randomBundle({ architecture: 'topk', k: 3, hookName: 'blocks.2.hook_resid_pre' });
let workspaces: WorkspaceSwitch<InProcessCompute>;
let server: ApiServer;

beforeAll(async () => {
  mkdirSync(path.join(base, 'renderer'));
  writeFileSync(path.join(base, 'renderer', 'index.html'), '<!doctype html>');
  saveSaeLens(path.join(first, 'saes', 'plain', '10'), plain);
  saveSaeLens(path.join(first, 'saes', 'normed', '10'), randomBundle({ architecture: 'topk', normalizeActivations: 'layer_norm' }));
  // Far larger than a socket's buffer, so the archive has to wait for the client.
  writeFileSync(path.join(first, 'saes', 'normed', '10', 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
  saveSaeLens(path.join(first, 'saes', 'huge', '10'), plain);
  writeFileSync(path.join(first, 'saes', 'huge', '10', 'big.bin'), Buffer.alloc(LIMIT + 1));
  mkdirSync(second);
  workspaces = new WorkspaceSwitch({
    catalog: new WorkspaceCatalog({ launched: [first, second], recent: recentInMemory() }),
    folder: first,
    backend: new InProcessCompute(first),
    spawn: (folder) => new InProcessCompute(folder),
  });
  server = await startApiServer({ backend: workspaces, rendererDir: path.join(base, 'renderer'), token: TOKEN, workspace: () => workspaces.current(), downloadLimitBytes: LIMIT });
});
afterAll(async () => {
  await server.close();
  await workspaces.close();
  rmSync(base, { recursive: true, force: true });
});

const auth = { Authorization: `Bearer ${TOKEN}` };

function send(method: string, route: string, headers: Record<string, string> = auth, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path: route, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const download = (query: string, headers: Record<string, string> = auth) => send('GET', `/api/sae-download?${query}`, headers);
const json = (body: Buffer) => JSON.parse(body.toString('utf8'));
const call = async (method: string, params: unknown) => json((await send('POST', `/api/${method}`, { ...auth, 'Content-Type': 'application/json' }, JSON.stringify(params))).body);

describe('GET /api/sae-download', () => {
  it('streams a workspace SAE as a zip of its SAELens folder, byte for byte', async () => {
    const reply = await download('sae=normed%2F10&format=saelens');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/zip');
    expect(reply.headers['content-disposition']).toBe('attachment; filename="normed-10.zip"');
    const entries = unzipSync(reply.body);
    expect(Object.keys(entries).sort()).toEqual(['normed-10/big.bin', 'normed-10/cfg.json', 'normed-10/sae_weights.safetensors']);
    for (const name of ['big.bin', 'cfg.json', 'sae_weights.safetensors']) {
      expect(Buffer.from(entries[`normed-10/${name}`]!).equals(readFileSync(path.join(first, 'saes', 'normed', '10', name))), name).toBe(true);
    }
  });

  it('converts to a sparsify run folder that reads back as the same SAE', async () => {
    const reply = await download('sae=plain%2F10&format=sparsify');
    expect(reply.status).toBe(200);
    const entries = unzipSync(reply.body);
    expect(Object.keys(entries).sort()).toEqual(['plain-10-sparsify/h.1/cfg.json', 'plain-10-sparsify/h.1/sae.safetensors']);
    const unpacked = path.join(base, 'unpacked');
    for (const [name, bytes] of Object.entries(entries)) {
      mkdirSync(path.dirname(path.join(unpacked, name)), { recursive: true });
      writeFileSync(path.join(unpacked, name), bytes);
    }
    expect(json(Buffer.from(entries['plain-10-sparsify/h.1/cfg.json']!))).toMatchObject({ d_in: 6, num_latents: 10, k: 3 });
    expect(loadSparsify(path.join(unpacked, 'plain-10-sparsify', 'h.1')).weights).toEqual(plain.weights);
  });

  it('refuses, with the reason, what it cannot send: a per-token normalised SAE as sparsify, paths, unknown SAEs, too much, no token', async () => {
    const normed = await download('sae=normed%2F10&format=sparsify');
    expect(normed.status).toBe(400);
    expect(json(normed.body).error.message).toContain('sae-download: normed/10 cannot be exported as sparsify: sparsify encodes the raw activation with fixed weights, but this SAE scales each token by its own mean and standard deviation (layer_norm)');
    expect((await download('sae=..%2F..%2Fetc&format=saelens')).status).toBe(400);
    expect(json((await download('sae=plain%2F99&format=saelens')).body)).toEqual({ ok: false, error: { code: 'not_found', message: 'sae-download: no SAE "plain/99" in this workspace' } });
    expect(json((await download('sae=plain%2F10&format=onnx')).body).error.message).toBe('sae-download: the format must be saelens or sparsify, got "onnx"');
    expect(json((await download('sae=plain%2F10&format=saelens&path=%2Fetc')).body).error.message).toBe('sae-download: unknown parameter "path"; expected sae and format');
    const huge = await download('sae=huge%2F10&format=saelens');
    expect(huge.status).toBe(413);
    expect(json(huge.body).error.message).toMatch(/^sae-download: huge-10 is \d+ bytes; a download holds at most 8388608 bytes/);
    expect((await download('sae=plain%2F10&format=saelens', {})).status).toBe(401);
  });
});

describe('opening another workspace in browser mode', () => {
  it('keeps the events socket, and sends uploads and downloads to the workspace now open', async () => {
    const events: ApiEvent[] = [];
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, eventsProtocols(TOKEN), { origin: `http://127.0.0.1:${server.port}` });
    await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
    socket.on('message', (data) => events.push(JSON.parse(String(data)) as ApiEvent));
    const choices = (await call('workspace.recent', {})).result as WorkspaceChoices;
    const target = choices.workspaces.find((w) => w.path === second)!;
    expect(await call('workspace.open', { id: target.id })).toMatchObject({ ok: true, result: { path: second, current: true } });
    expect((await call('workspace.list', {})).result.root).toBe(second);

    workspaces.compute.context.jobs.start({ kind: 'pull-model', title: 'in the second workspace', pausable: false, run: async () => ({ wrote: [], summary: {} }) });
    // Events and answers travel separately: wait for the socket to deliver the job's end.
    const states = () => events.flatMap((e) => (e.type === 'job.state' && e.job.title === 'in the second workspace' ? [e.job.state] : []));
    while (!states().includes('done')) await new Promise((resolve) => socket.once('message', resolve));
    expect(events[0]).toEqual({ type: 'workspace.opened', root: second });
    expect(states()).toEqual(['queued', 'running', 'done']);
    socket.close();

    const body = 'a doc';
    const upload = await send('PUT', '/api/upload', { ...auth, [UPLOAD_MANIFEST_HEADER]: encodeURIComponent(JSON.stringify([{ path: 'doc.txt', size: body.length }])) }, body);
    const id = json(upload.body).result.upload;
    expect(readFileSync(path.join(second, 'uploads', id, 'doc.txt'), 'utf8')).toBe(body);
    expect((await download('sae=plain%2F10&format=saelens')).status).toBe(404);
  });
});
