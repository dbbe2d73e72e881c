// The slice of Electron's API the shell uses, typed here because `electron` is an optional
// dependency whose package (and types) may be absent where the code is type-checked and built.
// Loaded at run time only inside the Electron binary.
import { createRequire } from 'node:module';

export interface IpcMainInvokeEventLike {
  senderFrame: { url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface WebContentsLike {
  id: number;
  send(channel: string, ...args: unknown[]): void;
  on(event: 'will-navigate' | 'will-redirect', listener: (event: { preventDefault(): void }, url: string) => void): void;
  on(event: 'destroyed', listener: () => void): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' | 'allow' }): void;
  isDestroyed(): boolean;
}

export interface BrowserWindowLike {
  webContents: WebContentsLike;
  loadFile(file: string): Promise<void>;
  loadURL(url: string): Promise<void>;
  show(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  once(event: 'ready-to-show', listener: () => void): void;
  on(event: 'closed', listener: () => void): void;
}

export interface SessionLike {
  webRequest: {
    onHeadersReceived(listener: (details: { responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders?: Record<string, string[]> }) => void) => void): void;
    onBeforeRequest(listener: (details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void): void;
  };
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  /** Synchronous permission queries (navigator.permissions, clipboard, fullscreen checks…). */
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string, requestingOrigin: string, details: unknown) => boolean): void;
  /** WebHID, WebUSB and Web Serial devices. */
  setDevicePermissionHandler(handler: (details: { deviceType: string; origin: string }) => boolean): void;
}

export interface MenuItemOptions {
  label?: string;
  role?: string;
  type?: 'separator' | 'normal';
  accelerator?: string;
  enabled?: boolean;
  submenu?: MenuItemOptions[];
  click?: () => void;
}

export interface ElectronMain {
  app: {
    requestSingleInstanceLock(): boolean;
    quit(): void;
    whenReady(): Promise<void>;
    getPath(name: 'userData'): string;
    getAppPath(): string;
    getVersion(): string;
    on(event: 'second-instance' | 'window-all-closed' | 'activate', listener: () => void): void;
    on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): void;
    isPackaged: boolean;
  };
  BrowserWindow: {
    new (options: Record<string, unknown>): BrowserWindowLike;
    getAllWindows(): BrowserWindowLike[];
  };
  ipcMain: IpcMainLike;
  Menu: { buildFromTemplate(template: MenuItemOptions[]): unknown; setApplicationMenu(menu: unknown): void };
  dialog: {
    showOpenDialog(options: { title: string; properties: string[]; defaultPath?: string; filters?: Array<{ name: string; extensions: string[] }> }): Promise<{ canceled: boolean; filePaths: string[] }>;
    showErrorBox(title: string, content: string): void;
  };
  shell: { openPath(path: string): Promise<string> };
  session: { defaultSession: SessionLike };
}

/** Electron's main-process module; only callable inside the Electron binary. */
export function loadElectronMain(): ElectronMain {
  const require = createRequire(import.meta.url);
  return require('electron') as ElectronMain;
}
