// The main window and the hardening applied to it and to the default session.
import path from 'node:path';
import type { BrowserWindowLike, ElectronMain } from './electron-api.js';
import { DESKTOP_CSP, isAllowedRequest, isAppUrl, secureWebPreferences } from './security.js';

export interface WindowPaths {
  preload: string;
  rendererDir: string;
  /** electron-vite's dev server (ELECTRON_RENDERER_URL) under `electron-vite dev`, else undefined. */
  devServerUrl?: string;
}

/**
 * CSP header on every response, no remote requests, no permissions: requests (camera,
 * notifications…), synchronous checks and devices (HID, USB, serial) are all denied.
 */
export function hardenSession(electron: ElectronMain, paths: WindowPaths): void {
  const { webRequest } = electron.session.defaultSession;
  webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [DESKTOP_CSP] } });
  });
  webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedRequest(details.url, paths.rendererDir, paths.devServerUrl) });
  });
  const session = electron.session.defaultSession;
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
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
  return window;
}

/** Loads the app's page; a failure (a missing or unreadable build) is reported, not left unhandled. */
export async function loadRenderer(window: BrowserWindowLike, paths: WindowPaths, report: (title: string, message: string) => void): Promise<void> {
  const target = paths.devServerUrl ?? path.join(paths.rendererDir, 'index.html');
  try {
    if (paths.devServerUrl) await window.loadURL(paths.devServerUrl);
    else await window.loadFile(target);
  } catch (err) {
    report('SAE Explorer cannot show its window', `Loading ${target} failed: ${(err as Error).message}\n\nRebuild the app (npm run build) or reinstall it.`);
  }
}
