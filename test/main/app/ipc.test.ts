// The IPC handler table and the HTTP/WebSocket server carry the same contract: every request gets
// the same envelope on both, errors keep their codes, and both deliver the same job events.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { API_METHODS, createApi, createBridge, transportFromBridge } from '../../../src-shared/api.js';
import type { ApiEvent, ApiMethod, ApiResponse, ApiTransport, SaeExplorerApi } from '../../../src-shared/api.js';
import { API_CALL_CHANNEL, API_EVENT_CHANNEL } from '../../../src-main/app/channels.js';
import type { IpcMainInvokeEventLike, IpcMainLike, WebContentsLike } from '../../../src-main/app/electron-api.js';
import { registerApiIpc, type IpcBinding } from '../../../src-main/app/ipc.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { startApiServer, type ApiServer } from '../../../src-main/server/server.js';
import { browserTransport } from '../../../src-renderer/src/lib/transport/browser.js';

const APP_URL = 'file:///app/out/renderer/index.html';

/** ipcMain and one window's webContents, as far as the shell uses them. */
function fakeElectron() {
  const handlers = new Map<string, (event: IpcMainInvokeEventLike, ...args: unknown[]) => unknown>();
  const ipcMain: IpcMainLike = {
    handle: (channel, listener) => void handlers.set(channel, listener),
    removeHandler: (channel) => void handlers.delete(channel),
  };
  const sent: ApiEvent[] = [];
  const webContents = {
    id: 1,
    send: (channel: string, payload: unknown) => channel === API_EVENT_CHANNEL && sent.push(payload as ApiEvent),
    on: () => {},
    setWindowOpenHandler: () => {},
    isDestroyed: () => false,
  } as unknown as WebContentsLike;
  /** What ipcRenderer.invoke does: the registered handler, with the sending frame's URL. */
  const invoke = async (frameUrl: string, method: unknown, params: unknown) =>
    (await handlers.get(API_CALL_CHANNEL)!({ senderFrame: { url: frameUrl } }, method, params)) as ApiResponse<unknown>;
  return { ipcMain, webContents, sent, invoke, handlers };
}

const root = mkdtempSync(path.join(tmpdir(), 'sae-contract-'));
let dispatcher: Dispatcher;
let server: ApiServer;
let electron: ReturnType<typeof fakeElectron>;
let binding: IpcBinding;
let ipcTransport: ApiTransport;
let httpTransport: ApiTransport;

beforeAll(async () => {
  dispatcher = new Dispatcher({ workspace: root, warn: () => {} });
  server = await startApiServer({ backend: dispatcher, rendererDir: root });
  electron = fakeElectron();
  binding = registerApiIpc(electron.ipcMain, dispatcher, (url) => url === APP_URL);
  binding.attach(electron.webContents);
  // The preload's bridge over the fake ipcRenderer, then unwrapped as the renderer does.
  ipcTransport = transportFromBridge(
    createBridge({ call: (method, params) => electron.invoke(APP_URL, method, params), subscribe: () => () => {} }),
  );
  httpTransport = browserTransport({
    baseUrl: `http://127.0.0.1:${server.port}/`,
    token: server.token,
    WebSocket: WebSocket as unknown as new (url: string) => globalThis.WebSocket,
  });
});

afterAll(async () => {
  binding.dispose();
  await server.close();
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

const SAMPLE_PARAMS: Record<ApiMethod, unknown> = {
  'workspace.info': {},
  'workspace.list': {},
  'workspace.createTinyModel': { name: '../escape' },
  'workspace.pullModel': { name: '../gpt2' },
  // The shell's requests: a compute process alone refuses them (the shell answers them, test/main/jobs/switch.test.ts).
  'workspace.recent': {},
  'workspace.open': { id: '0123456789abcdef' },
  'workspace.create': { name: 'other' },
  'jobs.list': {},
  'jobs.pause': { jobId: 'job-404' },
  'jobs.resume': { jobId: 'nope' },
  'jobs.cancel': { jobId: 'job-404' },
  'training.start': { model: 'none', dataset: 'embedded:sotu', hook: 'blocks.0.hook_resid_post', latents: [64], k: 4, tokens: 100, family: 'f' },
  'harvest.start': { model: 'none', family: 'f', dataset: 'embedded:sotu', tokens: 100 },
  'features.list': { model: 'none', sae: 'f/64' },
  'features.page': { model: 'none', sae: 'f/64', latent: 1 },
  'features.map': { model: 'none', family: 'f' },
  'features.search': { query: 'the' },
  'inspect.prompt': { model: 'none', sae: 'f/64', text: 'hi' },
  'steer.generate': { model: 'none', sae: 'f/64', prompt: 'hi', latents: [1], strength: 2 },
  'steer.sweep': { model: 'none', sae: 'f/64', prompt: 'hi', latents: [1], strengths: [0, 2] },
  'steer.listPresets': {},
  'steer.savePreset': { name: 'p', model: 'none', sae: 'f/64', prompt: 'hi', latents: [1], strength: 2 },
  'steer.deletePreset': { name: 'p' },
  'steer.stream': { model: 'none', sae: 'f/64', prompt: 'hi', latents: [1], strength: 2 },
  'steer.ack': { streamId: 'steer-404', received: 1 },
  'steer.cancel': { streamId: 'steer-404' },
  'attribution.run': { model: 'none', saes: ['f/64'], prompt: 'hi', target: ' there' },
  'attribution.tokenEffects': { model: 'none', sae: 'f/64', latent: 1, tokens: [1, 2] },
  'attribution.featureHeads': { model: 'none', sae: 'f/64', latent: 1, contexts: [{ tokens: [1, 2], position: 1 }] },
  'attention.patterns': { model: 'none', prompt: 'hi', layer: 0 },
  'attention.headScores': { model: 'none', prompt: 'hi' },
  'attention.logitLens': { model: 'none', prompt: 'hi' },
  'family.tree': { model: 'none', sae: 'f/64', latent: 1 },
  'family.counterparts': { model: 'none', sae: 'f/64', latent: 1 },
  'family.page': { family: 'none' },
  'family.splitting': { family: 'none' },
  'lm.train': { name: 'lm', dataset: 'embedded:sotu', from: 'none', tokens: 100 },
  'lm.evaluate': { model: 'none' },
  'lm.sample': { model: 'none', prompts: ['hi'] },
  'lm.export': { model: 'none', name: 'copy' },
  'lm.curve': { model: 'none' },
  'engine.info': {},
  // A refused call: doctor's answer holds live memory figures, which differ from call to call.
  'engine.doctor': { verbose: true },
  'saes.evaluate': { sae: 'f/64', model: 'none', dataset: 'embedded:sotu', tokens: 100 },
  'saes.releases': {},
  'saes.importRelease': { release: 'no-such-release' },
  'saes.import': { name: 'f', upload: 'up-none' },
  'datasets.add': { upload: 'up-none' },
  'datasets.pull': { hub: 'a/b/../c.parquet', name: 'd' },
  'datasets.preview': { dataset: 'none.txt' },
  'demo.build': { model: 'gpt2' },
  'compare.start': { a: 'f/64', b: 'f/128', model: 'none', dataset: 'embedded:sotu', tokens: 100 },
  'compare.get': { id: 'job-404' },
  'compare.list': {},
};

describe('the contract on both transports', () => {
  it('every request gets the same envelope over IPC, over HTTP and in-process', async () => {
    for (const method of API_METHODS) {
      const direct = await dispatcher.call(method, SAMPLE_PARAMS[method]);
      expect(await ipcTransport.call(method, SAMPLE_PARAMS[method]), method).toEqual(direct);
      expect(await httpTransport.call(method, SAMPLE_PARAMS[method]), method).toEqual(direct);
    }
    const codes = Object.fromEntries(await Promise.all(API_METHODS.map(async (m) => {
      const r = await dispatcher.call(m, SAMPLE_PARAMS[m]);
      return [m, r.ok ? 'ok' : r.error.code];
    })));
    // Keyed by request, so adding one is a line here, not a shifted array.
    expect(codes).toEqual({
      'workspace.info': 'ok',
      'workspace.list': 'ok',
      'workspace.createTinyModel': 'bad_request',
      'workspace.pullModel': 'bad_request',
      'workspace.recent': 'not_available',
      'workspace.open': 'not_available',
      'workspace.create': 'not_available',
      'jobs.list': 'ok',
      'jobs.pause': 'not_found',
      'jobs.resume': 'bad_request',
      'jobs.cancel': 'not_found',
      'training.start': 'not_found',
      'harvest.start': 'not_found',
      'features.list': 'not_found',
      'features.page': 'not_found',
      'features.map': 'not_found',
      'features.search': 'not_found',
      'inspect.prompt': 'not_found',
      'steer.generate': 'not_found',
      'steer.sweep': 'not_found',
      'steer.listPresets': 'ok',
      'steer.savePreset': 'not_found',
      'steer.deletePreset': 'not_found',
      'steer.stream': 'not_found',
      'steer.ack': 'not_found',
      'steer.cancel': 'not_found',
      'attribution.run': 'not_found',
      'attribution.tokenEffects': 'not_found',
      'attribution.featureHeads': 'not_found',
      'attention.patterns': 'not_found',
      'attention.headScores': 'not_found',
      'attention.logitLens': 'not_found',
      'family.tree': 'not_found',
      'family.counterparts': 'not_found',
      'family.page': 'not_found',
      'family.splitting': 'not_found',
      'lm.train': 'not_found',
      'lm.evaluate': 'not_found',
      'lm.sample': 'not_found',
      'lm.export': 'not_found',
      'lm.curve': 'not_found',
      'engine.info': 'ok',
      'engine.doctor': 'bad_request',
      'saes.evaluate': 'not_found',
      'saes.releases': 'ok',
      'saes.importRelease': 'bad_request',
      'saes.import': 'not_found',
      'datasets.add': 'not_found',
      'datasets.pull': 'bad_request',
      'datasets.preview': 'not_found',
      'demo.build': 'bad_request',
      'compare.start': 'not_found',
      'compare.get': 'not_found',
      'compare.list': 'ok',
    });
  });

  it('the renderer API behaves identically on both: results, and errors with their codes', async () => {
    const apis: SaeExplorerApi[] = [createApi(ipcTransport), createApi(httpTransport)];
    for (const api of apis) {
      expect((await api.workspace.list()).root).toBe(root);
      await expect(api.jobs.cancel({ jobId: 'job-404' })).rejects.toMatchObject({ name: 'ApiError', code: 'not_found' });
    }
  });

  it('refuses IPC calls from frames that are not the app, and names outside the contract', async () => {
    expect(await electron.invoke('https://evil.example/', 'workspace.list', {})).toEqual({
      ok: false,
      error: { code: 'bad_request', message: 'API call refused from untrusted frame https://evil.example/' },
    });
    expect(await electron.invoke(APP_URL, 'constructor', {})).toEqual({ ok: false, error: { code: 'bad_request', message: 'unknown request "constructor"' } });
  });

  it('delivers the same job events to the window and to the WebSocket', async () => {
    const overSocket: ApiEvent[] = [];
    const unsubscribe = httpTransport.subscribe((event) => overSocket.push(event));
    // Events sent before the socket is open are not replayed: ping with no-op jobs until one arrives.
    const noop = { kind: 'harvest' as const, title: 'ping', pausable: false, run: async () => ({ wrote: [], summary: {} }) };
    for (let i = 0; overSocket.length === 0; i++) {
      if (i === 500) throw new Error('the events WebSocket did not open within 5 s');
      if (i % 50 === 0) dispatcher.context.jobs.start(noop);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const job = dispatcher.context.jobs.start({
      kind: 'harvest',
      title: 'events test',
      pausable: false,
      run: async (ctx) => {
        ctx.progress({ done: 5, total: 10, unit: 'tokens', phase: 'harvesting' });
        ctx.log('info', 'half way');
        return { wrote: ['db:features.sqlite'], summary: { latents: 64 } };
      },
    });
    const ofJob = (events: ApiEvent[]) => events.filter((e) => (e.type === 'job.state' ? e.job.id : e.type === 'job.progress' || e.type === 'job.log' ? e.jobId : null) === job.id);
    for (let i = 0; i < 500 && ofJob(overSocket).length < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    unsubscribe();
    const shape = (events: ApiEvent[]) => events.map((e) => (e.type === 'job.state' ? `state:${e.job.state}` : e.type));
    expect(shape(ofJob(electron.sent))).toEqual(['state:queued', 'state:running', 'job.progress', 'job.log', 'state:done']);
    expect(ofJob(overSocket)).toEqual(ofJob(electron.sent));
  });

  it('swaps the backend behind the one handler: calls and events follow the new one', async () => {
    const local = fakeElectron();
    const backend = (name: string) => {
      const listeners = new Set<(event: ApiEvent) => void>();
      const transport: ApiTransport = {
        call: async () => ({ ok: true, result: name }),
        subscribe: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
      };
      return { transport, emit: (message: string) => listeners.forEach((l) => l({ type: 'job.log', jobId: 'job-1', level: 'info', message })) };
    };
    const [first, second] = [backend('first'), backend('second')];
    const b = registerApiIpc(local.ipcMain, first.transport, () => true);
    b.attach(local.webContents);
    expect(await local.invoke(APP_URL, 'workspace.info', {})).toEqual({ ok: true, result: 'first' });
    b.setBackend(second.transport);
    expect(await local.invoke(APP_URL, 'workspace.info', {})).toEqual({ ok: true, result: 'second' });
    first.emit('from the old workspace');
    second.emit('from the new workspace');
    expect(local.sent.map((e) => (e.type === 'job.log' ? e.message : e.type))).toEqual(['from the new workspace']);
    b.dispose();
  });

  it('dispose removes the IPC handler', () => {
    const local = fakeElectron();
    const b = registerApiIpc(local.ipcMain, dispatcher, () => true);
    expect(local.handlers.has(API_CALL_CHANNEL)).toBe(true);
    b.dispose();
    expect(local.handlers.has(API_CALL_CHANNEL)).toBe(false);
  });
});
