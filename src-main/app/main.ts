// Electron main process: one instance, one window on one workspace, the compute process it owns,
// and the IPC table that connects them. Everything heavy runs in the compute process (system node).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComputeHost, findAppRoot } from '../jobs/host.js';
import type { BrowserWindowLike, ElectronMain } from './electron-api.js';
import { loadElectronMain } from './electron-api.js';
import { registerApiIpc, type IpcBinding } from './ipc.js';
import { menuTemplate } from './menu.js';
import { isAppUrl } from './security.js';
import { createMainWindow, hardenSession, type WindowPaths } from './window.js';
import { rememberWorkspace, resolveWorkspace } from './workspace.js';

const electron: ElectronMain = loadElectronMain();
const { app } = electron;

// Built layout: out/main/index.js beside out/preload/index.cjs and out/renderer/index.html.
const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const paths: WindowPaths = {
  preload: path.join(outDir, 'preload', 'index.cjs'),
  rendererDir: path.join(outDir, 'renderer'),
  devServerUrl: process.env.ELECTRON_RENDERER_URL,
};

let compute: ComputeHost | null = null;
let ipc: IpcBinding | null = null;
let window: BrowserWindowLike | null = null;
let workspace = '';

async function openWorkspace(folder: string): Promise<void> {
  ipc?.dispose();
  await compute?.close();
  workspace = folder;
  rememberWorkspace(app.getPath('userData'), folder);
  compute = new ComputeHost({ workspace: folder, appRoot: findAppRoot(outDir) });
  ipc = registerApiIpc(electron.ipcMain, compute, (url) => isAppUrl(url, paths.rendererDir, paths.devServerUrl));
  await compute.start();
  if (!window) {
    window = createMainWindow(electron, paths);
    window.on('closed', () => (window = null));
  }
  ipc.attach(window.webContents);
}

async function chooseWorkspace(): Promise<void> {
  const choice = await electron.dialog.showOpenDialog({ title: 'Open workspace folder', properties: ['openDirectory', 'createDirectory'], defaultPath: workspace });
  if (choice.canceled || !choice.filePaths[0]) return;
  await openWorkspace(choice.filePaths[0]);
  // The renderer reloads so every store starts from the new workspace.
  if (window) {
    if (paths.devServerUrl) await window.loadURL(paths.devServerUrl);
    else await window.loadFile(path.join(paths.rendererDir, 'index.html'));
  }
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    ipc?.dispose();
    void compute?.close();
  });
  void app.whenReady().then(async () => {
    hardenSession(electron, paths);
    const menu = menuTemplate(
      {
        openWorkspace: () => void chooseWorkspace().catch((err: Error) => electron.dialog.showErrorBox('Cannot open that workspace', err.message)),
        revealWorkspace: () => void electron.shell.openPath(workspace),
      },
      !app.isPackaged,
    );
    electron.Menu.setApplicationMenu(electron.Menu.buildFromTemplate(menu));
    try {
      await openWorkspace(resolveWorkspace(app.getPath('userData')));
    } catch (err) {
      // Most likely no `node` on PATH for the compute process (see docs/architecture.md).
      electron.dialog.showErrorBox('SAE Explorer cannot start', `${(err as Error).message}\n\nSet SAE_EXPLORER_NODE to a Node.js ≥ 20.19 executable if node is not on PATH.`);
      app.quit();
    }
  });
}
