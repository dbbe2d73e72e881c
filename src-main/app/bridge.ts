// What the preload does, as a function of the 'electron' module so it can be tested without
// Electron: the contract as named functions on `window.saeExplorer`, over one invoke channel and one
// event channel. Nothing else crosses — no ipcRenderer, no Node.
import { createBridge, type ApiEvent, type ApiResponse, type DesktopBridge, type UploadReceipt } from '../../src-shared/api.js';
import { API_CALL_CHANNEL, API_EVENT_CHANNEL, EXPORT_SAE_CHANNEL, OPEN_WORKSPACE_CHANNEL, PICK_CHANNEL } from './channels.js';

export interface ElectronPreload {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: unknown, payload: unknown) => void): void;
    removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void;
  };
}

export const BRIDGE_KEY = 'saeExplorer';
/** The desktop-only extras (the import, export and workspace dialogs), beside the contract. */
export const DESKTOP_BRIDGE_KEY = 'saeExplorerDesktop';

export function exposeBridge({ contextBridge, ipcRenderer }: ElectronPreload): void {
  const bridge = createBridge({
    call: (method, params) => ipcRenderer.invoke(API_CALL_CHANNEL, method, params) as Promise<ApiResponse<unknown>>,
    subscribe: (listener) => {
      const forward = (_event: unknown, payload: unknown): void => listener(payload as ApiEvent);
      ipcRenderer.on(API_EVENT_CHANNEL, forward);
      return () => ipcRenderer.removeListener(API_EVENT_CHANNEL, forward);
    },
  });
  contextBridge.exposeInMainWorld(BRIDGE_KEY, bridge);
  const desktop: DesktopBridge = {
    pick: (kind) => ipcRenderer.invoke(PICK_CHANNEL, kind) as Promise<ApiResponse<UploadReceipt | null>>,
    exportSae: (sae, format) => ipcRenderer.invoke(EXPORT_SAE_CHANNEL, sae, format) as Promise<ApiResponse<string | null>>,
    openWorkspace: () => ipcRenderer.invoke(OPEN_WORKSPACE_CHANNEL) as Promise<ApiResponse<string | null>>,
  };
  contextBridge.exposeInMainWorld(DESKTOP_BRIDGE_KEY, desktop);
}
