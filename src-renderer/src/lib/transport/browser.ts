// Browser-mode transport: contract requests as POST /api/<method>, events from the /api/events
// WebSocket (reconnecting while anyone listens). The token comes from the page URL once and is kept
// in this tab's sessionStorage, so a reload (the address bar no longer has it) still works; it goes
// out only to this server, as a Bearer header and as a WebSocket subprotocol, never as a cookie.
import type { ApiEvent, ApiMethod, ApiResponse, ApiTransport, EventListener } from '../../../../src-shared/api.js';
import { eventsProtocols } from '../../../../src-shared/events-socket.js';

export interface BrowserTransportOptions {
  /** The server's origin, e.g. "http://127.0.0.1:8765/". */
  baseUrl: string;
  /** The server's token; null when the page was opened without it. */
  token: string | null;
  fetch?: typeof fetch;
  WebSocket?: new (url: string, protocols: string[]) => WebSocket;
}

export const NO_TOKEN = 'this page has no token: open the URL that `sae-explorer serve` printed';

const MAX_RECONNECT_MS = 5000;

export function browserTransport(options: BrowserTransportOptions): ApiTransport {
  const doFetch = options.fetch ?? fetch.bind(globalThis);
  const Socket = options.WebSocket ?? WebSocket;
  const listeners = new Set<EventListener>();
  let socket: WebSocket | null = null;
  let retryMs = 250;

  function eventsUrl(): string {
    const url = new URL('api/events', options.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  function connect(): void {
    if (options.token === null) return;
    const ws = new Socket(eventsUrl(), eventsProtocols(options.token));
    socket = ws;
    ws.onopen = () => (retryMs = 250);
    ws.onmessage = (message: MessageEvent) => {
      const event = JSON.parse(String(message.data)) as ApiEvent;
      for (const listener of listeners) listener(event);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (listeners.size === 0) return;
      setTimeout(() => listeners.size > 0 && !socket && connect(), retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RECONNECT_MS);
    };
  }

  return {
    async call(method: ApiMethod, params: unknown): Promise<ApiResponse<unknown>> {
      if (options.token === null) return { ok: false, error: { code: 'bad_request', message: NO_TOKEN } };
      const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${options.token}` };
      let response: Response;
      try {
        response = await doFetch(new URL(`api/${method}`, options.baseUrl), { method: 'POST', headers, body: JSON.stringify(params ?? {}) });
      } catch (err) {
        return { ok: false, error: { code: 'internal', message: `cannot reach the sae-explorer server: ${(err as Error).message}` } };
      }
      if (response.status === 401) {
        return { ok: false, error: { code: 'bad_request', message: 'the server refused the token: open the URL that `sae-explorer serve` printed' } };
      }
      if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) {
        return { ok: false, error: { code: 'internal', message: `${method}: the server answered ${response.status} ${await response.text()}` } };
      }
      return (await response.json()) as ApiResponse<unknown>;
    },

    subscribe(listener: EventListener): () => void {
      listeners.add(listener);
      if (!socket) connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && socket) {
          const ws = socket;
          socket = null;
          ws.close();
        }
      };
    },
  };
}

const TOKEN_KEY = 'sae-explorer.token';

/**
 * The page's token: from the URL when it has one (then kept in this tab's sessionStorage and removed
 * from the address bar and history), else the one kept earlier in this tab, else null.
 */
export function pageToken(location: Location, history: History, storage: Storage | null): string | null {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token === null) return storage?.getItem(TOKEN_KEY) ?? null;
  storage?.setItem(TOKEN_KEY, token);
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.toString());
  return token;
}
