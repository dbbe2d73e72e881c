// The IPC handler table of the desktop app: every contract request arriving from a renderer goes to
// the compute process, and every event goes back to every window. Requests from frames that are
// not the app's own page (e.g. an injected iframe) are refused. One handler lives as long as the app;
// opening another workspace swaps the backend behind it, so no call ever finds the channel empty.
import { errorResponse, isApiMethod } from '../../src-shared/api.js';
import type { ApiResponse, ApiTransport } from '../../src-shared/api.js';
import { API_CALL_CHANNEL, API_EVENT_CHANNEL } from './channels.js';
import type { IpcMainLike, WebContentsLike } from './electron-api.js';

export interface IpcBinding {
  /** Starts sending events to a window's renderer until it is destroyed. */
  attach(webContents: WebContentsLike): void;
  /** Sends calls to `backend` from now on, and relays its events instead of the old one's. */
  setBackend(backend: ApiTransport): void;
  dispose(): void;
}

/**
 * `isTrustedFrame(url)` decides which page may call the API: the app's file:// page in production,
 * the dev server's URL under electron-vite dev.
 */
export function registerApiIpc(ipcMain: IpcMainLike, initial: ApiTransport, isTrustedFrame: (url: string) => boolean): IpcBinding {
  const targets = new Set<WebContentsLike>();
  let backend = initial;
  ipcMain.handle(API_CALL_CHANNEL, async (event, method, params): Promise<ApiResponse<unknown>> => {
    const url = event.senderFrame?.url ?? '';
    if (!isTrustedFrame(url)) return errorResponse({ code: 'bad_request', message: `API call refused from untrusted frame ${url || '(unknown)'}` });
    if (!isApiMethod(method)) return errorResponse({ code: 'bad_request', message: `unknown request "${String(method)}"` });
    return backend.call(method, params ?? {});
  });
  const relay = (source: ApiTransport): (() => void) =>
    source.subscribe((event) => {
      for (const target of targets) if (!target.isDestroyed()) target.send(API_EVENT_CHANNEL, event);
    });
  let unsubscribe = relay(backend);
  return {
    attach(webContents) {
      targets.add(webContents);
      webContents.on('destroyed', () => targets.delete(webContents));
    },
    setBackend(next) {
      unsubscribe();
      backend = next;
      unsubscribe = relay(next);
    },
    dispose() {
      unsubscribe();
      ipcMain.removeHandler(API_CALL_CHANNEL);
      targets.clear();
    },
  };
}
