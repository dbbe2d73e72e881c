// The desktop app's life cycle against a stand-in Electron (the typed slice in electron-api.ts):
// window first, engine failures shown, one IPC handler across workspaces, quitting after the compute
// process stops, no dev-server URL in packaged builds, every permission denied.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiMethod, ApiResponse, EventListener, WorkspaceChoices } from '../../../src-shared/api.js';
import { API_CALL_CHANNEL } from '../../../src-main/app/channels.js';
import { runDesktopApp, windowPaths, type ComputeProcess } from '../../../src-main/app/desktop.js';
import type { ElectronMain, IpcMainInvokeEventLike, MenuItemOptions, SessionLike } from '../../../src-main/app/electron-api.js';
import { ComputeHost } from '../../../src-main/jobs/host.js';
import type { NodeRuntime } from '../../../src-main/jobs/node-runtime.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'sae-desktop-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const OUT = '/opt/sae-explorer/out';
const PAGE = `file://${OUT}/renderer/index.html`;

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A compute process whose start and close the test settles by hand. */
class FakeCompute implements ComputeProcess {
  readonly started = deferred();
  readonly closed = deferred();
  readonly calls: string[] = [];
  closeCalls = 0;
  node: NodeRuntime | null = null;
  /** Answers by method; others answer with the workspace. */
  readonly answers = new Map<string, ApiResponse<unknown>>();
  constructor(readonly workspace: string) {}
  start(): Promise<void> {
    return this.started.promise;
  }
  close(): Promise<void> {
    this.closeCalls++;
    return this.closed.promise;
  }
  async call(method: ApiMethod): Promise<ApiResponse<unknown>> {
    this.calls.push(method);
    return this.answers.get(method) ?? { ok: true, result: method === 'jobs.list' ? [] : { workspace: this.workspace } };
  }
  subscribe(_listener: EventListener): () => void {
    return () => {};
  }
}

let counter = 0;
function fakeElectron(options: { isPackaged?: boolean; loadFails?: Error; onQuit?: () => void } = {}) {
  const userData = path.join(tmp, `userData-${counter++}`);
  const log: string[] = [];
  const errors: Array<[string, string]> = [];
  const listeners = new Map<string, Array<(event: { preventDefault(): void }) => void>>();
  const handlers = new Map<string, (event: IpcMainInvokeEventLike, ...args: unknown[]) => unknown>();
  const session = { permissionRequest: null as unknown, permissionCheck: null as unknown, device: null as unknown };
  let handles = 0;
  let removes = 0;
  let menu: MenuItemOptions[] = [];
  const electron = {
    app: {
      isPackaged: options.isPackaged ?? false,
      requestSingleInstanceLock: () => true,
      whenReady: async () => {},
      getPath: () => userData,
      getAppPath: () => OUT,
      getVersion: () => '0.1.0',
      on: (event: string, listener: (event: { preventDefault(): void }) => void) => listeners.set(event, [...(listeners.get(event) ?? []), listener]),
      // Electron's quit: emits before-quit, and quits unless a listener prevented it.
      quit: () => {
        let prevented = false;
        for (const listener of listeners.get('before-quit') ?? []) listener({ preventDefault: () => (prevented = true) });
        log.push(prevented ? 'quit prevented' : 'quit');
        if (!prevented) options.onQuit?.();
      },
    },
    BrowserWindow: class {
      webContents = { id: 1, send: () => {}, on: () => {}, setWindowOpenHandler: () => {}, isDestroyed: () => false };
      constructor(readonly options: Record<string, unknown>) {
        log.push('window');
      }
      async loadFile(file: string) {
        log.push(`loadFile ${file}`);
        if (options.loadFails) throw options.loadFails;
      }
      async loadURL(url: string) {
        log.push(`loadURL ${url}`);
      }
      show() {}
      focus() {}
      restore() {}
      isMinimized() {
        return false;
      }
      once() {}
      on() {}
      static getAllWindows() {
        return [];
      }
    },
    ipcMain: {
      handle: (channel: string, listener: (event: IpcMainInvokeEventLike, ...args: unknown[]) => unknown) => (handles++, handlers.set(channel, listener)),
      removeHandler: (channel: string) => (removes++, handlers.delete(channel)),
    },
    Menu: { buildFromTemplate: (template: MenuItemOptions[]) => template, setApplicationMenu: (installed: MenuItemOptions[]) => (menu = installed) },
    dialog: {
      showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
      showErrorBox: (title: string, content: string) => void errors.push([title, content]),
    },
    shell: { openPath: async () => '' },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: () => {}, onBeforeRequest: () => {} },
        setPermissionRequestHandler: (handler) => (session.permissionRequest = handler),
        setPermissionCheckHandler: (handler) => (session.permissionCheck = handler),
        setDevicePermissionHandler: (handler) => (session.device = handler),
      } satisfies SessionLike,
    },
  } as unknown as ElectronMain;
  const invoke = async (method: string, params: unknown = {}) => (await handlers.get(API_CALL_CHANNEL)!({ senderFrame: { url: PAGE } }, method, params)) as ApiResponse<unknown>;
  const openRecent = () => menu[0]!.submenu!.find((item) => item.label === 'Open Recent')!;
  return { electron, userData, log, errors, invoke, session, openRecent, counts: () => ({ handles, removes }), emitBeforeQuit: () => electron.app.quit() };
}

function start(fake: ReturnType<typeof fakeElectron>, computes: FakeCompute[] = []) {
  return runDesktopApp(fake.electron, {
    outDir: OUT,
    env: { SAE_EXPLORER_WORKSPACE: path.join(tmp, 'ws-first') },
    log: () => {},
    createCompute: (workspace) => {
      const compute = new FakeCompute(workspace);
      computes.push(compute);
      return compute;
    },
  });
}

describe('the desktop app', () => {
  it('opens the window and loads the page before the engine is ready, then remembers the node it ran on', async () => {
    const fake = fakeElectron();
    const computes: FakeCompute[] = [];
    const app = (await start(fake, computes))!;
    await app.loaded;
    expect(fake.log).toEqual(['window', `loadFile ${OUT}/renderer/index.html`]);
    // Calls made meanwhile wait in the compute process's queue rather than failing.
    const answer = fake.invoke('workspace.info');
    computes[0]!.node = { path: '/opt/homebrew/bin/node', version: 'v22.11.0', source: 'Homebrew' };
    computes[0]!.started.resolve();
    await app.engine;
    expect(await answer).toEqual({ ok: true, result: { workspace: path.join(tmp, 'ws-first') } });
    expect(JSON.parse(readFileSync(path.join(fake.userData, 'settings.json'), 'utf8'))).toEqual({ workspace: path.join(tmp, 'ws-first'), recentWorkspaces: [path.join(tmp, 'ws-first')], lastNode: '/opt/homebrew/bin/node' });
  });

  it('shows why the engine could not start and stays open, so the user can fix node and retry', async () => {
    const fake = fakeElectron();
    const computes: FakeCompute[] = [];
    const app = (await start(fake, computes))!;
    computes[0]!.started.reject(new Error('no Node.js ≥ 20.19.0 found for the compute process; tried /usr/bin/node (PATH): not found.'));
    await app.engine;
    expect(fake.errors).toHaveLength(1);
    expect(fake.errors[0]![0]).toBe('The engine could not start');
    expect(fake.errors[0]![1]).toContain('no Node.js ≥ 20.19.0 found for the compute process; tried /usr/bin/node (PATH): not found.');
    expect(fake.errors[0]![1]).toContain(`"node" in ${path.join(fake.userData, 'settings.json')}`);
    expect(fake.log).not.toContain('quit');
  });

  it('shows a page that fails to load instead of leaving an unhandled rejection', async () => {
    const fake = fakeElectron({ loadFails: new Error("ERR_FILE_NOT_FOUND (-6) loading 'file:///opt/sae-explorer/out/renderer/index.html'") });
    const app = (await start(fake))!;
    await app.loaded;
    expect(fake.errors).toEqual([
      ['SAE Explorer cannot show its window', `Loading ${OUT}/renderer/index.html failed: ERR_FILE_NOT_FOUND (-6) loading 'file:///opt/sae-explorer/out/renderer/index.html'\n\nRebuild the app (npm run build) or reinstall it.`],
    ]);
  });

  it('keeps one IPC handler when switching workspace: calls during the switch reach the new compute process', async () => {
    const fake = fakeElectron();
    const computes: FakeCompute[] = [];
    const app = (await start(fake, computes))!;
    computes[0]!.started.resolve();
    const other = path.join(tmp, 'ws-other');
    const switching = app.openWorkspace(other);
    // The old compute process has not finished closing (it may be checkpointing a training job).
    expect(computes[0]!.closeCalls).toBe(1);
    expect(await fake.invoke('workspace.list')).toEqual({ ok: true, result: { workspace: other } });
    await switching;
    expect(computes[0]!.calls).toEqual([]);
    expect(computes[1]!.calls).toEqual(['workspace.list']);
    // One handler each for the contract, the import dialog, the export and the workspace dialog, for the app's whole life.
    expect(fake.counts()).toEqual({ handles: 4, removes: 0 });
    expect(fake.log.filter((line) => line.startsWith('loadFile'))).toHaveLength(2);
    computes[0]!.closed.resolve();
  });

  it('lists the workspaces opened before under File → Open Recent and opens one from there', async () => {
    const fake = fakeElectron();
    const computes: FakeCompute[] = [];
    const first = path.join(tmp, 'ws-first');
    const other = path.join(tmp, 'ws-recent');
    mkdirSync(first, { recursive: true });
    mkdirSync(other, { recursive: true });
    const app = (await start(fake, computes))!;
    computes[0]!.started.resolve();
    expect(fake.openRecent().submenu).toEqual([]);
    await app.openWorkspace(other);
    computes[0]!.closed.resolve();
    expect(fake.openRecent().submenu!.map((item) => item.label)).toEqual([first]);
    fake.openRecent().submenu![0]!.click!();
    // It first asks the open workspace for unfinished jobs.
    await new Promise((resolve) => setImmediate(resolve));
    expect(computes.map((c) => c.workspace)).toEqual([first, other, first]);
    expect(fake.openRecent().submenu!.map((item) => item.label)).toEqual([other]);
    expect(JSON.parse(readFileSync(path.join(fake.userData, 'settings.json'), 'utf8')).recentWorkspaces).toEqual([first, other]);
  });

  it('lists the demo and recent workspaces to the page and opens one by id, but not while jobs are unfinished', async () => {
    const fake = fakeElectron();
    const computes: FakeCompute[] = [];
    const first = path.join(tmp, 'ws-first');
    const other = path.join(tmp, 'ws-page');
    mkdirSync(first, { recursive: true });
    mkdirSync(other, { recursive: true });
    const app = (await start(fake, computes))!;
    computes[0]!.started.resolve();
    await app.openWorkspace(other);
    await app.openWorkspace(first);
    const listed = (await fake.invoke('workspace.recent')) as ApiResponse<WorkspaceChoices>;
    expect(listed.ok && listed.result.workspaces.map((w) => [w.path, w.sources])).toEqual([
      [first, ['current', 'recent']],
      [path.join(fake.userData, 'workspace'), ['demo']],
      [other, ['recent']],
    ]);
    const otherId = listed.ok ? listed.result.workspaces[2]!.id : '';
    // The compute process never sees the shell's requests.
    expect(computes.flatMap((c) => c.calls)).toEqual([]);
    computes[2]!.answers.set('jobs.list', { ok: true, result: [{ id: 'job-7', title: 'harvest fam', state: 'running' }] });
    expect(await fake.invoke('workspace.open', { id: otherId })).toEqual({
      ok: false,
      error: { code: 'conflict', message: `workspace.open: ${first} has unfinished jobs: job job-7 (harvest fam, running); wait for them to finish, or cancel them on the Train screen, then open the other workspace` },
    });
    expect(computes).toHaveLength(3);
    // The menu's Open Recent is refused the same way, in a dialog.
    fake.openRecent().submenu![0]!.click!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.errors.at(-1)).toEqual(['Cannot open that workspace', expect.stringContaining('has unfinished jobs: job job-7')]);
    computes[2]!.answers.delete('jobs.list');
    expect(await fake.invoke('workspace.open', { id: otherId })).toMatchObject({ ok: true, result: { path: other, current: true } });
    expect(computes.map((c) => c.workspace)).toEqual([first, other, first, other]);
    expect(await fake.invoke('workspace.create', { name: 'new' })).toMatchObject({ ok: false, error: { code: 'not_available', message: expect.stringContaining('in the desktop app, create a folder in the Open dialog') } });
  });

  it('quits only after the compute process has stopped', async () => {
    const fake = fakeElectron();
    const computes: FakeCompute[] = [];
    await start(fake, computes);
    fake.emitBeforeQuit();
    fake.emitBeforeQuit();
    expect(fake.log.slice(2)).toEqual(['quit prevented', 'quit prevented']);
    expect(computes[0]!.closeCalls).toBe(1);
    computes[0]!.closed.resolve();
    await computes[0]!.closed.promise;
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.log.slice(4)).toEqual(['quit']);
  });

  it('loads the dev server only in development, never in a packaged build', async () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173' };
    expect(windowPaths(OUT, env, false)).toEqual({ preload: `${OUT}/preload/index.cjs`, rendererDir: `${OUT}/renderer`, devServerUrl: 'http://localhost:5173' });
    expect(windowPaths(OUT, env, true).devServerUrl).toBeUndefined();
    const fake = fakeElectron({ isPackaged: true });
    const app = await runDesktopApp(fake.electron, { outDir: OUT, env: { ...env, SAE_EXPLORER_WORKSPACE: path.join(tmp, 'ws-p') }, log: () => {}, createCompute: (w) => new FakeCompute(w) });
    await app!.loaded;
    expect(fake.log).toEqual(['window', `loadFile ${OUT}/renderer/index.html`]);
  });

  it('opens the demo workspace when none was chosen, and builds the demo there (only there) once the engine is up', async () => {
    const fake = fakeElectron();
    const demo = path.join(tmp, 'demo-ws');
    const computes: FakeCompute[] = [];
    const lines: string[] = [];
    const app = (await runDesktopApp(fake.electron, {
      outDir: OUT,
      env: { SAE_EXPLORER_DEMO_WORKSPACE: demo },
      log: (line) => lines.push(line),
      createCompute: (workspace) => {
        const compute = new FakeCompute(workspace);
        compute.answers.set('demo.build', { ok: true, result: { jobId: 'job-7' } });
        computes.push(compute);
        return compute;
      },
    }))!;
    expect(computes[0]!.workspace).toBe(demo);
    expect(computes[0]!.calls).toEqual([]);
    computes[0]!.started.resolve();
    await app.engine;
    expect(computes[0]!.calls).toEqual(['demo.build']);
    expect(lines).toEqual(['building the demo workspace (job job-7); the app shows its progress']);
    await app.openWorkspace(path.join(tmp, 'ws-not-demo'));
    computes[0]!.closed.resolve();
    computes[1]!.started.resolve();
    await computes[1]!.started.promise;
    await new Promise((resolve) => setImmediate(resolve));
    expect(computes[1]!.calls).toEqual([]);
    expect(fake.errors).toEqual([]);
  });

  it('shows why the demo cannot be built, and stays open', async () => {
    const fake = fakeElectron();
    const computes: FakeCompute[] = [];
    const message = 'demo.build: the shipped model is missing: /app/resources/models/sotu-gpt2 does not exist; restore it …';
    const app = (await runDesktopApp(fake.electron, {
      outDir: OUT,
      env: { SAE_EXPLORER_DEMO_WORKSPACE: path.join(tmp, 'demo-ws-2') },
      log: () => {},
      createCompute: (workspace) => {
        const compute = new FakeCompute(workspace);
        compute.answers.set('demo.build', { ok: false, error: { code: 'not_available', message } });
        computes.push(compute);
        return compute;
      },
    }))!;
    computes[0]!.started.resolve();
    await app.engine;
    expect(fake.errors).toEqual([['The demo workspace cannot be built', message]]);
    expect(fake.log).not.toContain('quit');
  });

  it('denies every permission: requests, synchronous checks and devices', async () => {
    const fake = fakeElectron();
    await start(fake);
    const granted: boolean[] = [];
    (fake.session.permissionRequest as (c: unknown, p: string, cb: (g: boolean) => void) => void)({}, 'media', (g) => granted.push(g));
    expect(granted).toEqual([false]);
    for (const permission of ['clipboard-read', 'clipboard-sanitized-write', 'fullscreen', 'notifications', 'hid', 'serial', 'usb']) {
      expect((fake.session.permissionCheck as (c: unknown, p: string, o: string, d: unknown) => boolean)({}, permission, 'file://', {}), permission).toBe(false);
    }
    for (const deviceType of ['hid', 'serial', 'usb']) expect((fake.session.device as (d: { deviceType: string; origin: string }) => boolean)({ deviceType, origin: 'file://' })).toBe(false);
  });
});

describe('quitting with a real compute process', () => {
  it('waits while a fake compute process saves its checkpoint on shutdown, then quits', async () => {
    // A stand-in compute.ts in its own app root: ready at once, and on shutdown it writes a
    // checkpoint after a pause (a training job finishing its step), then exits.
    const root = path.join(tmp, 'fake-app');
    mkdirSync(path.join(root, 'src-main', 'jobs'), { recursive: true });
    symlinkSync(path.resolve('node_modules'), path.join(root, 'node_modules'));
    writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }');
    writeFileSync(
      path.join(root, 'src-main', 'jobs', 'compute.ts'),
      `import { writeFileSync } from 'node:fs';
process.on('message', (message: { type: string }) => {
  if (message.type !== 'shutdown') return;
  setTimeout(() => {
    writeFileSync(process.env.SAE_EXPLORER_WORKSPACE + '/checkpoint.json', '{"step": 7}');
    process.exit(0);
  }, 200);
});
process.send!({ type: 'ready', pid: process.pid });
`,
    );
    const workspace = path.join(tmp, 'ws-train');
    mkdirSync(workspace);
    let checkpointAtQuit: (saved: boolean) => void;
    const quitting = new Promise<boolean>((resolve) => (checkpointAtQuit = resolve));
    const fake = fakeElectron({ onQuit: () => checkpointAtQuit(existsSync(path.join(workspace, 'checkpoint.json'))) });
    const app = await runDesktopApp(fake.electron, {
      outDir: OUT,
      env: { SAE_EXPLORER_WORKSPACE: workspace },
      log: () => {},
      createCompute: (w) => new ComputeHost({ workspace: w, appRoot: root, node: { self: process.execPath } }),
    });
    await app!.engine;
    fake.emitBeforeQuit();
    expect(fake.log.at(-1)).toBe('quit prevented');
    expect(await quitting).toBe(true);
  });
});


describe('the CUDA libraries folder', () => {
  it('is chosen from the menu, remembered, and given to a new compute process; the system libraries again when cleared', async () => {
    const fake = fakeElectron();
    const folder = path.join(tmp, 'sae-cuda11');
    let menu: MenuItemOptions[] = [];
    Object.assign(fake.electron.Menu, { setApplicationMenu: (template: MenuItemOptions[]) => (menu = template) });
    Object.assign(fake.electron.dialog, { showOpenDialog: async () => ({ canceled: false, filePaths: [folder] }) });
    const folders: Array<string | undefined> = [];
    let created = deferred();
    await runDesktopApp(fake.electron, {
      outDir: OUT,
      env: { SAE_EXPLORER_WORKSPACE: path.join(tmp, 'ws-cuda') },
      log: () => {},
      createCompute: (workspace, _node, cudaLibraryDir) => {
        folders.push(cudaLibraryDir);
        created.resolve();
        const compute = new FakeCompute(workspace);
        compute.closed.resolve();
        return compute;
      },
    });
    const item = (label: string) => menu[0]!.submenu!.find((i) => i.label === label)!;

    created = deferred();
    item('CUDA Libraries Folder…').click!();
    await created.promise;
    expect(JSON.parse(readFileSync(path.join(fake.userData, 'settings.json'), 'utf8'))).toMatchObject({ cudaLibraryDir: folder });

    created = deferred();
    item('Use System CUDA Libraries').click!();
    await created.promise;
    expect(JSON.parse(readFileSync(path.join(fake.userData, 'settings.json'), 'utf8'))).not.toHaveProperty('cudaLibraryDir');
    expect(folders).toEqual([undefined, folder, undefined]);
    expect(fake.errors).toEqual([]);
  });
});
