// The renderer's one entry to the API: the preload's bridge inside the desktop app, HTTP + WebSocket
// in a browser. Stores import `api` from here; nothing else in the renderer knows the transport.
import { createApi, transportFromBridge } from '../../../../src-shared/api.js';
import type { SaeExplorerApi, SaeExplorerBridge } from '../../../../src-shared/api.js';
import type { SaeExportFormat, UploadReceipt } from '../../../../src-shared/api.js';
import { browserTransport, pageToken } from './browser.js';
import { desktopExporter, desktopPicker, desktopWorkspaceDialog } from './desktop.js';
import { fetchSaeZip } from './download.js';
import { uploadFiles, type UploadItem } from './upload.js';

declare global {
  interface Window {
    /** Set by the desktop app's preload; absent in a browser. */
    saeExplorer?: SaeExplorerBridge;
  }
}

export type TransportKind = 'desktop' | 'browser';

/** sessionStorage, or null where the browser refuses it (then a reload needs the printed URL again). */
function sessionStorageOrNull(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

function connect(): { api: SaeExplorerApi; kind: TransportKind; token: string | null } {
  if (window.saeExplorer) return { api: createApi(transportFromBridge(window.saeExplorer)), kind: 'desktop', token: null };
  const token = pageToken(window.location, window.history, sessionStorageOrNull());
  return { api: createApi(browserTransport({ baseUrl: new URL('/', window.location.href).toString(), token })), kind: 'browser', token };
}

const connection = connect();

export const api: SaeExplorerApi = connection.api;
export const transportKind: TransportKind = connection.kind;

/** Browser mode: sends files to the server's upload route (upload.ts) with this page's token. */
export function sendUpload(items: UploadItem[], onProgress: (done: number, total: number) => void): Promise<UploadReceipt> {
  return uploadFiles(items, connection.token, onProgress);
}

/** Browser mode: the .zip of a workspace SAE, fetched with this page's token (download.ts). */
export function fetchSaeDownload(sae: string, format: SaeExportFormat): Promise<{ name: string; zip: Blob }> {
  return fetchSaeZip(sae, format, { baseUrl: window.location.href, token: connection.token });
}

export { desktopExporter, desktopPicker, desktopWorkspaceDialog, type UploadItem };
