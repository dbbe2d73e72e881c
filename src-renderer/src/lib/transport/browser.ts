// Browser-mode transport: contract requests as POST /api/<method>, events from the /api/events
// WebSocket (reconnecting while anyone listens). The token comes from the page URL once; the server
// also set it as a cookie, so a reload without it still works.
import type { ApiEvent, ApiMethod, ApiResponse, ApiTransport, EventListener } from '../../../../src-shared/api.js';

export interface BrowserTransportOptions {
  /** The server's origin, e.g. "http://127.0.0.1:8765/". */
  baseUrl: string;
  /** Sent as a Bearer header when known; the cookie authorises otherwise. */
  token: string | null;
  fetch?: typeof fetch;
  WebSocket?: new (url: string) => WebSocket;
}

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
    if (options.token) url.searchParams.set('token', options.token);
    return url.toString();
  }

  function connect(): void {
    const ws = new Socket(eventsUrl());
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
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (options.token) headers.Authorization = `Bearer ${options.token}`;
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

/** Reads the token from the page URL and removes it from the address bar (and from history). */
export function takeTokenFromLocation(location: Location, history: History): string | null {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token !== null) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.toString());
  }
  return token;
}
