// The desktop app's life cycle, written against the typed Electron slice so tests can drive it with
// fakes. The window opens at once and the renderer shows "starting the engine" until the compute
// process answers; one IPC handler serves every workspace (opening another swaps the backend behind
// it); failures to start the engine or load the page are shown, not lost; quitting waits until the
// compute process has stopped (a running training job saves its checkpoint first).
import path from 'node:path';
import { isShellMethod, type ApiTransport } from '../../src-shared/api.js';
import { ComputeHost } from '../jobs/host.js';
import { refuseWhileJobsRun, shellResponse, type WorkspaceShell } from '../jobs/switch.js';
import { WorkspaceCatalog } from '../jobs/workspace/catalog.js';
import { nativeModuleAbi, type NodeRuntime, type NodeSearch } from '../jobs/node-runtime.js';
import type { BrowserWindowLike, ElectronMain } from './electron-api.js';
import { registerApiIpc, type IpcBinding } from './ipc.js';
import { registerPickIpc } from './pick.js';
import { menuTemplate } from './menu.js';
import { computeAppRoot } from './packaged.js';
import { isAppUrl } from './security.js';
import { readSettings, updateSettings } from './settings.js';
import { createMainWindow, hardenSession, loadRenderer, type WindowPaths } from './window.js';
import { rememberCudaLibraryDir, resolveCudaLibraryDir } from './cuda-folder.js';
import { requestDemoBuild } from '../demo/request.js';
import { demoWorkspace, recentWorkspaces, rememberWorkspace, resolveWorkspace } from './workspace.js';

/** What the shell needs of the compute process (ComputeHost; a fake in tests). */
export interface ComputeProcess extends ApiTransport {
  start(): Promise<void>;
  close(): Promise<void>;
  readonly node: NodeRuntime | null;
}

export interface DesktopOptions {
  /** The build's out/ folder (main/, preload/, renderer/). */
  outDir: string;
  /** Where ELECTRON_RENDERER_URL, SAE_EXPLORER_WORKSPACE and the node search's variables come from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: a ComputeHost in the (unpacked) app root, with the CUDA libraries folder on its library path. */
  createCompute?: (workspace: string, node: NodeSearch, cudaLibraryDir: string | undefined) => ComputeProcess;
  log?: (line: string) => void;
}

export interface DesktopApp {
  /** The page load, settled once it loaded or its failure was shown. */
  loaded: Promise<void>;
  /** The compute process's start, settled once it is ready or its failure was shown. */
  engine: Promise<void>;
  openWorkspace(folder: string): Promise<void>;
}

/**
 * The built layout: out/main beside out/preload and out/renderer. electron-vite's dev server
 * (ELECTRON_RENDERER_URL) is honoured only in development: in a packaged app an inherited variable
 * must not turn a remote page into the trusted app page.
 */
export function windowPaths(outDir: string, env: NodeJS.ProcessEnv, isPackaged: boolean): WindowPaths {
  return {
    preload: path.join(outDir, 'preload', 'index.cjs'),
    rendererDir: path.join(outDir, 'renderer'),
    devServerUrl: isPackaged ? undefined : env.ELECTRON_RENDERER_URL,
  };
}

function nodeHint(userData: string): string {
  return (
    'The compute process needs Node.js 20.19 or later. Install it (https://nodejs.org), or give its path in ' +
    `SAE_EXPLORER_NODE or as "node" in ${path.join(userData, 'settings.json')}; the next action (Refresh) retries.`
  );
}

/** Runs the app; resolves once the window is open and the engine is starting (null: another instance runs). */
export async function runDesktopApp(electron: ElectronMain, options: DesktopOptions): Promise<DesktopApp | null> {
  const { app, dialog } = electron;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => void process.stdout.write(`sae-explorer: ${line}\n`));
  const paths = windowPaths(options.outDir, env, app.isPackaged);
  const userData = app.getPath('userData');
  const report = (title: string, message: string): void => dialog.showErrorBox(title, message);
  const createCompute =
    options.createCompute ??
    ((workspace: string, node: NodeSearch, cudaLibraryDir: string | undefined) => {
      const appRoot = computeAppRoot(options.outDir);
      // Only a node whose ABI matches the installed better-sqlite3 can open the store.
      return new ComputeHost({ workspace, appRoot, node: { ...node, abi: nativeModuleAbi(appRoot) }, log, cudaLibraryDir });
    });

  let window: BrowserWindowLike | null = null;
  let compute: ComputeProcess | null = null;
  let ipc: IpcBinding | null = null;
  let removePickIpc: (() => void) | null = null;
  let workspace = '';
  /** Compute processes of workspaces left behind, still stopping. */
  const stopping = new Set<Promise<void>>();
  let quit: 'no' | 'waiting' | 'ready' = 'no';

  const computeFor = (folder: string): ComputeProcess => {
    workspace = folder;
    rememberWorkspace(userData, folder);
    const settings = readSettings(userData);
    return createCompute(folder, { env, setting: settings.node, remembered: settings.lastNode }, resolveCudaLibraryDir(userData, env));
  };
  // The demo workspace builds itself when opened unbuilt (a first start, or one closed mid-build).
  const buildDemo = (target: ComputeProcess): Promise<void> =>
    requestDemoBuild(target).then(
      (line) => void (line && log(line)),
      (err: Error) => {
        if (target === compute && quit === 'no') report('The demo workspace cannot be built', err.message);
      },
    );
  const startEngine = (target: ComputeProcess): Promise<void> => {
    const isDemo = path.resolve(workspace) === demoWorkspace(userData, env);
    return target.start().then(
      () => {
        if (target.node) updateSettings(userData, { lastNode: target.node.path });
        if (isDemo) return buildDemo(target);
      },
      (err: Error) => {
        // A compute process already replaced or being quit is nobody's concern any more.
        if (target === compute && quit === 'no') report('The engine could not start', `${err.message}\n\n${nodeHint(userData)}`);
      },
    );
  };

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (quit === 'ready') return;
    event.preventDefault();
    if (quit === 'waiting') return;
    quit = 'waiting';
    ipc?.dispose();
    removePickIpc?.();
    void Promise.allSettled([compute?.close(), ...stopping]).then(() => {
      quit = 'ready';
      app.quit();
    });
  });

  async function openWorkspace(folder: string): Promise<void> {
    const previous = compute!;
    compute = computeFor(folder);
    ipc!.setBackend(withShell(compute));
    installMenu();
    const stopped = previous.close();
    stopping.add(stopped);
    void stopped.finally(() => stopping.delete(stopped));
    void startEngine(compute);
    // The renderer reloads so every store starts from the new workspace.
    if (window) await loadRenderer(window, paths, report);
  }

  // The loader reads the library path only when a process starts, so a new CUDA libraries folder
  // means a new compute process: the workspace is opened again.
  async function setCudaLibraryFolder(choose: boolean): Promise<void> {
    if (choose) {
      const choice = await dialog.showOpenDialog({ title: 'Folder with the CUDA 11 and cuDNN 8 libraries', properties: ['openDirectory'], defaultPath: resolveCudaLibraryDir(userData, env) });
      if (choice.canceled || !choice.filePaths[0]) return;
      rememberCudaLibraryDir(userData, choice.filePaths[0]);
    } else {
      rememberCudaLibraryDir(userData, null);
    }
    await openWorkspace(workspace);
  }

  // The page's workspace list: the demo and the recent ones (the native dialog chooses any other).
  const shell: WorkspaceShell = {
    catalog: new WorkspaceCatalog({ demo: demoWorkspace(userData, env), recent: { list: () => recentWorkspaces(userData), remember: (folder) => rememberWorkspace(userData, folder) } }),
    current: () => workspace,
    // As in browser mode (jobs/switch.ts says why), a workspace with unfinished jobs stays open.
    open: async (folder) => {
      await refuseWhileJobsRun('workspace.open', compute!, workspace);
      await openWorkspace(folder);
    },
  };
  const withShell = (target: ComputeProcess): ApiTransport => ({
    call: (method, params) => (isShellMethod(method) ? shellResponse(method, params, shell) : target.call(method, params)),
    subscribe: (listener) => target.subscribe(listener),
  });

  const open = (folder: string): void => void shell.open(folder).catch((err: Error) => report('Cannot open that workspace', err.message));
  /** The menu again whenever a workspace is opened, so Open Recent lists it first. */
  const installMenu = (): void => {
    const menu = menuTemplate(
      {
        openWorkspace: () =>
          void electron.dialog
            .showOpenDialog({ title: 'Open workspace folder', properties: ['openDirectory', 'createDirectory'], defaultPath: workspace })
            .then((choice) => (choice.canceled || !choice.filePaths[0] ? undefined : open(choice.filePaths[0])))
            .catch((err: Error) => report('Cannot open that workspace', err.message)),
        revealWorkspace: () => void electron.shell.openPath(workspace),
        recentWorkspaces: recentWorkspaces(userData).filter((folder) => folder !== workspace),
        openRecentWorkspace: open,
        chooseCudaLibraryFolder: () => void setCudaLibraryFolder(true).catch((err: Error) => report('Cannot use that folder', err.message)),
        clearCudaLibraryFolder: () => void setCudaLibraryFolder(false).catch((err: Error) => report('Cannot restart the engine', err.message)),
      },
      !app.isPackaged,
    );
    electron.Menu.setApplicationMenu(electron.Menu.buildFromTemplate(menu));
  };

  await app.whenReady();
  hardenSession(electron, paths);
  compute = computeFor(resolveWorkspace(userData, env));
  installMenu();
  const trusted = (url: string): boolean => isAppUrl(url, paths.rendererDir, paths.devServerUrl);
  ipc = registerApiIpc(electron.ipcMain, withShell(compute), trusted);
  removePickIpc = registerPickIpc(electron.ipcMain, (options) => dialog.showOpenDialog(options), () => workspace, trusted, shell.open);
  window = createMainWindow(electron, paths);
  window.on('closed', () => (window = null));
  ipc.attach(window.webContents);
  return { loaded: loadRenderer(window, paths, report), engine: startEngine(compute), openWorkspace };
}
