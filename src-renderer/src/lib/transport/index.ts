// The renderer's one entry to the API: the preload's bridge inside the desktop app, HTTP + WebSocket
// in a browser. Stores import `api` from here; nothing else in the renderer knows the transport.
import { createApi, transportFromBridge } from '../../../../src-shared/api.js';
import type { SaeExplorerApi, SaeExplorerBridge } from '../../../../src-shared/api.js';
import { browserTransport, takeTokenFromLocation } from './browser.js';

declare global {
  interface Window {
    /** Set by the desktop app's preload; absent in a browser. */
    saeExplorer?: SaeExplorerBridge;
  }
}

export type TransportKind = 'desktop' | 'browser';

function connect(): { api: SaeExplorerApi; kind: TransportKind } {
  if (window.saeExplorer) return { api: createApi(transportFromBridge(window.saeExplorer)), kind: 'desktop' };
  const token = takeTokenFromLocation(window.location, window.history);
  return { api: createApi(browserTransport({ baseUrl: new URL('/', window.location.href).toString(), token })), kind: 'browser' };
}

const connection = connect();

export const api: SaeExplorerApi = connection.api;
export const transportKind: TransportKind = connection.kind;
