// The desktop shell's settings, checked without the Electron binary: the pure parts (webPreferences,
// CSP, URL policy, menu, workspace choice) and the preload run against a stand-in for 'electron'.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { API_METHODS, type DesktopBridge, type SaeExplorerBridge } from '../../../src-shared/api.js';
import { exposeBridge } from '../../../src-main/app/bridge.js';
import { API_CALL_CHANNEL, API_EVENT_CHANNEL, EXPORT_SAE_CHANNEL, OPEN_WORKSPACE_CHANNEL, PICK_CHANNEL } from '../../../src-main/app/channels.js';
import { findElectronBinary } from '../../../src-main/app/electron-binary.js';
import { menuTemplate } from '../../../src-main/app/menu.js';
import { DESKTOP_CSP, isAllowedRequest, isAppUrl, secureWebPreferences } from '../../../src-main/app/security.js';
import { rememberCudaLibraryDir, resolveCudaLibraryDir } from '../../../src-main/app/cuda-folder.js';
import { MAX_RECENT_WORKSPACES, recentWorkspaces, rememberWorkspace, resolveWorkspace } from '../../../src-main/app/workspace.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'sae-shell-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const RENDERER = '/opt/sae-explorer/out/renderer';

describe('window security', () => {
  it('isolates and sandboxes the renderer, with no Node in it', () => {
    expect(secureWebPreferences('/x/preload.cjs')).toMatchObject({
      preload: '/x/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('has a CSP that allows only the app itself', () => {
    const directives = Object.fromEntries(DESKTOP_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives['default-src']).toBe("'self'");
    expect(directives['script-src']).toBe("'self'");
    expect(directives['connect-src']).toBe("'self'");
    expect(directives['object-src']).toBe("'none'");
    expect(DESKTOP_CSP).not.toContain('unsafe-eval');
    expect(DESKTOP_CSP).not.toMatch(/https?:/);
  });

  it('treats only the renderer build (or the dev server) as the app', () => {
    expect(isAppUrl(`file://${RENDERER}/index.html`, RENDERER)).toBe(true);
    expect(isAppUrl(`file://${RENDERER}/assets/index.js`, RENDERER)).toBe(true);
    expect(isAppUrl('file:///etc/passwd', RENDERER)).toBe(false);
    expect(isAppUrl(`file://${RENDERER}-evil/index.html`, RENDERER)).toBe(false);
    expect(isAppUrl('https://example.com/', RENDERER)).toBe(false);
    expect(isAppUrl('not a url', RENDERER)).toBe(false);
    expect(isAppUrl('http://localhost:5173/', RENDERER, 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', RENDERER, 'http://localhost:5173')).toBe(false);
  });

  it('refuses a file URL with a host: file://server/share is a UNC path on Windows, never the build', () => {
    expect(isAppUrl(`file://evil-host${RENDERER}/index.html`, RENDERER)).toBe(false);
    expect(isAppUrl('file://evil-host/C:/app/out/renderer/index.html', 'C:\\app\\out\\renderer', undefined, path.win32)).toBe(false);
    expect(isAppUrl('file://server/share/out/renderer/index.html', '\\\\server\\share\\out\\renderer', undefined, path.win32)).toBe(false);
    expect(isAllowedRequest(`file://evil-host${RENDERER}/assets/index.js`, RENDERER)).toBe(false);
  });

  it('compares resolved paths: no stepping out with .., nor an encoded separator', () => {
    expect(isAppUrl(`file://${RENDERER}/../../../etc/passwd`, RENDERER)).toBe(false);
    expect(isAppUrl(`file://${RENDERER}/%2e%2e/main/index.js`, RENDERER)).toBe(false);
    expect(isAppUrl(`file://${RENDERER}/assets%2F..%2F..%2Fx`, RENDERER)).toBe(false);
    expect(isAppUrl(`file://${RENDERER}`, RENDERER)).toBe(false);
    expect(isAppUrl(`file://${RENDERER}/..index.html`, RENDERER)).toBe(true);
  });

  it('on Windows, matches the build whatever case Chromium gives the drive letter and folders', () => {
    const dir = 'C:\\Users\\Ada\\AppData\\Local\\Programs\\SAE Explorer\\resources\\app.asar\\out\\renderer';
    const page = 'Users/Ada/AppData/Local/Programs/SAE%20Explorer/resources/app.asar/out/renderer/index.html';
    expect(isAppUrl(`file:///C:/${page}`, dir, undefined, path.win32)).toBe(true);
    expect(isAppUrl(`file:///c:/${page}`, dir, undefined, path.win32)).toBe(true);
    expect(isAppUrl(`file:///C:/${page.toLowerCase()}`, dir, undefined, path.win32)).toBe(true);
    expect(isAppUrl(`file:///D:/${page}`, dir, undefined, path.win32)).toBe(false);
    expect(isAppUrl('file:///C:/Windows/System32/drivers/etc/hosts', dir, undefined, path.win32)).toBe(false);
    expect(isAppUrl(`file:///C:/${page.replace('renderer', 'renderer-evil')}`, dir, undefined, path.win32)).toBe(false);
  });

  it('blocks remote requests but not the app, devtools or data it made', () => {
    expect(isAllowedRequest('https://cdn.example.com/lib.js', RENDERER)).toBe(false);
    expect(isAllowedRequest('http://127.0.0.1:8080/', RENDERER)).toBe(false);
    expect(isAllowedRequest(`file://${RENDERER}/assets/index.js`, RENDERER)).toBe(true);
    expect(isAllowedRequest('devtools://devtools/bundled/x.js', RENDERER)).toBe(true);
    expect(isAllowedRequest('blob:file:///abc', RENDERER)).toBe(true);
  });
});

describe('menu and workspace', () => {
  it('offers opening and revealing the workspace, and devtools only in development', () => {
    const calls: string[] = [];
    const actions = {
      openWorkspace: () => calls.push('open'),
      revealWorkspace: () => calls.push('reveal'),
      chooseCudaLibraryFolder: () => calls.push('cuda'),
      clearCudaLibraryFolder: () => calls.push('no cuda'),
      recentWorkspaces: ['/ws/b', '/ws/a'],
      openRecentWorkspace: (folder: string) => calls.push(`recent ${folder}`),
    };
    const file = menuTemplate(actions, false)[0]!.submenu!;
    for (const label of ['Open Workspace…', 'Show Workspace Folder', 'CUDA Libraries Folder…', 'Use System CUDA Libraries']) file.find((item) => item.label === label)!.click!();
    const recent = file.find((item) => item.label === 'Open Recent')!;
    expect(recent.submenu!.map((item) => item.label)).toEqual(['/ws/b', '/ws/a']);
    recent.submenu![1]!.click!();
    expect(calls).toEqual(['open', 'reveal', 'cuda', 'no cuda', 'recent /ws/a']);
    expect(menuTemplate({ ...actions, recentWorkspaces: [] }, false)[0]!.submenu!.find((item) => item.label === 'Open Recent')!.enabled).toBe(false);
    const roles = (dev: boolean) => menuTemplate(actions, dev).flatMap((m) => m.submenu ?? []).map((i) => i.role);
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(true)).toContain('toggleDevTools');
  });

  it('opens the remembered workspace, else the demo workspace (one in the app data folder unless `npm start` says where); the env overrides both', () => {
    const userData = path.join(tmp, 'userData');
    expect(resolveWorkspace(userData, {})).toBe(path.join(userData, 'workspace'));
    const demo = path.join(tmp, 'checkout', 'workspace');
    expect(resolveWorkspace(userData, { SAE_EXPLORER_DEMO_WORKSPACE: demo })).toBe(demo);
    expect(existsSync(demo)).toBe(true);
    const chosen = mkdtempSync(path.join(tmp, 'chosen-'));
    rememberWorkspace(userData, chosen);
    expect(resolveWorkspace(userData, {})).toBe(chosen);
    expect(resolveWorkspace(userData, { SAE_EXPLORER_WORKSPACE: '/somewhere/else' })).toBe('/somewhere/else');
    rmSync(chosen, { recursive: true });
    expect(resolveWorkspace(userData, {})).toBe(path.join(userData, 'workspace'));
    writeFileSync(path.join(userData, 'settings.json'), '{ broken');
    expect(resolveWorkspace(userData, {})).toBe(path.join(userData, 'workspace'));
  });

  it('remembers the workspaces opened, most recent first, once each, at most ten, and lists those that still exist', () => {
    const userData = path.join(tmp, 'userData-recent');
    const folders = Array.from({ length: 12 }, (_, i) => mkdtempSync(path.join(tmp, `recent-${i}-`)));
    for (const folder of folders) rememberWorkspace(userData, folder);
    rememberWorkspace(userData, folders[5]!);
    expect(recentWorkspaces(userData)).toEqual([folders[5], ...folders.slice(2).reverse().filter((f) => f !== folders[5])].slice(0, MAX_RECENT_WORKSPACES));
    rmSync(folders[11]!, { recursive: true });
    expect(recentWorkspaces(userData)).not.toContain(folders[11]);
    expect(recentWorkspaces(userData)[0]).toBe(folders[5]);
  });

  it('remembers the CUDA libraries folder beside the workspace; the env overrides it', () => {
    const userData = path.join(tmp, 'userData-cuda');
    expect(resolveCudaLibraryDir(userData, {})).toBeUndefined();
    rememberWorkspace(userData, tmp);
    rememberCudaLibraryDir(userData, '/home/u/sae-cuda11');
    expect(resolveCudaLibraryDir(userData, {})).toBe('/home/u/sae-cuda11');
    expect(resolveWorkspace(userData, {})).toBe(tmp);
    expect(resolveCudaLibraryDir(userData, { SAE_EXPLORER_CUDA_LIB_DIR: '/opt/cuda11' })).toBe('/opt/cuda11');
    rememberCudaLibraryDir(userData, null);
    expect(resolveCudaLibraryDir(userData, {})).toBeUndefined();
    expect(resolveWorkspace(userData, {})).toBe(tmp);
  });

  it('reports why the Electron binary is missing, or where it is', () => {
    const found = findElectronBinary(path.resolve('.'));
    if ('binary' in found) expect(path.isAbsolute(found.binary)).toBe(true);
    else expect(found.missing).toMatch(/electron/i);
    expect(findElectronBinary(tmp)).toEqual({ missing: 'the electron package is not installed' });
  });
});

describe('preload', () => {
  it('exposes the contract as named functions over one IPC channel, and the import dialog over another', async () => {
    const exposed = new Map<string, unknown>();
    const invoked: unknown[][] = [];
    const listeners: Array<[string, unknown]> = [];
    exposeBridge({
      contextBridge: { exposeInMainWorld: (key, value) => void exposed.set(key, value) },
      ipcRenderer: {
        invoke: async (...args) => (invoked.push(args), { ok: true, result: 'answer' }),
        on: (channel, listener) => void listeners.push([channel, listener]),
        removeListener: (channel, listener) => listeners.splice(listeners.findIndex(([c, l]) => c === channel && l === listener), 1),
      },
    });
    expect([...exposed.keys()]).toEqual(['saeExplorer', 'saeExplorerDesktop']);
    const desktop = exposed.get('saeExplorerDesktop') as DesktopBridge;
    expect(Object.keys(desktop)).toEqual(['pick', 'exportSae', 'openWorkspace']);
    expect(await desktop.pick('dataset-file')).toEqual({ ok: true, result: 'answer' });
    expect(await desktop.exportSae('fam/32', 'sparsify')).toEqual({ ok: true, result: 'answer' });
    expect(await desktop.openWorkspace()).toEqual({ ok: true, result: 'answer' });
    // The page names an SAE and a format, or nothing at all: folders come from the dialogs.
    expect(invoked.splice(0)).toEqual([[PICK_CHANNEL, 'dataset-file'], [EXPORT_SAE_CHANNEL, 'fam/32', 'sparsify'], [OPEN_WORKSPACE_CHANNEL]]);
    const bridge = exposed.get('saeExplorer') as SaeExplorerBridge;
    const domains = [...new Set(API_METHODS.map((m) => m.split('.')[0]))];
    expect(Object.keys(bridge).sort()).toEqual([...domains, 'onEvent'].sort());
    expect(await bridge.features.page({ model: 'm', sae: 's', latent: 2 })).toEqual({ ok: true, result: 'answer' });
    expect(invoked).toEqual([[API_CALL_CHANNEL, 'features.page', { model: 'm', sae: 's', latent: 2 }]]);

    const seen: unknown[] = [];
    const stop = bridge.onEvent((event) => seen.push(event));
    expect(listeners.map(([channel]) => channel)).toEqual([API_EVENT_CHANNEL]);
    (listeners[0]![1] as (e: unknown, p: unknown) => void)({}, { type: 'job.log', jobId: 'job-1', level: 'info', message: 'x' });
    stop();
    expect(listeners).toEqual([]);
    expect(seen).toEqual([{ type: 'job.log', jobId: 'job-1', level: 'info', message: 'x' }]);
  });
});
