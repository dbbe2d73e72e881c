// The main window and the hardening applied to it and to the default session.
import type { BrowserWindowLike, ElectronMain } from './electron-api.js';
import { DESKTOP_CSP, isAllowedRequest, isAppUrl, secureWebPreferences } from './security.js';

export interface WindowPaths {
  preload: string;
  rendererDir: string;
  /** electron-vite's dev server (ELECTRON_RENDERER_URL) under `electron-vite dev`, else undefined. */
  devServerUrl?: string;
}

/** CSP header on every response, no remote requests, no permission prompts (camera, notifications…). */
export function hardenSession(electron: ElectronMain, paths: WindowPaths): void {
  const { webRequest } = electron.session.defaultSession;
  webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [DESKTOP_CSP] } });
  });
  webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedRequest(details.url, paths.rendererDir, paths.devServerUrl) });
  });
  electron.session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
}

export function createMainWindow(electron: ElectronMain, paths: WindowPaths): BrowserWindowLike {
  const window = new electron.BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'SAE Explorer',
    backgroundColor: '#101318',
    webPreferences: secureWebPreferences(paths.preload),
  });
  const stayInApp = (event: { preventDefault(): void }, url: string): void => {
    if (!isAppUrl(url, paths.rendererDir, paths.devServerUrl)) event.preventDefault();
  };
  window.webContents.on('will-navigate', stayInApp);
  window.webContents.on('will-redirect', stayInApp);
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.once('ready-to-show', () => window.show());
  if (paths.devServerUrl) void window.loadURL(paths.devServerUrl);
  else void window.loadFile(`${paths.rendererDir}/index.html`);
  return window;
}
