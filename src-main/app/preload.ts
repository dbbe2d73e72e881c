// The preload script: turns the API contract into named functions on `window.saeExplorer` through
// contextBridge. Nothing else crosses — no ipcRenderer, no Node. Runs sandboxed, so it is bundled to
// CommonJS and may require only 'electron'.
import { createBridge, type ApiEvent, type ApiResponse } from '../../src-shared/api.js';
import { API_CALL_CHANNEL, API_EVENT_CHANNEL } from './channels.js';

interface ElectronPreload {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: unknown, payload: unknown) => void): void;
    removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void;
  };
}

const { contextBridge, ipcRenderer } = require('electron') as ElectronPreload;

const bridge = createBridge({
  call: (method, params) => ipcRenderer.invoke(API_CALL_CHANNEL, method, params) as Promise<ApiResponse<unknown>>,
  subscribe: (listener) => {
    const forward = (_event: unknown, payload: unknown): void => listener(payload as ApiEvent);
    ipcRenderer.on(API_EVENT_CHANNEL, forward);
    return () => ipcRenderer.removeListener(API_EVENT_CHANNEL, forward);
  },
});

contextBridge.exposeInMainWorld('saeExplorer', bridge);
