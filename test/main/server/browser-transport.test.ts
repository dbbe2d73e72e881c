// The renderer's browser-mode transport (src-renderer/src/lib/transport/browser.ts) in Node: token
// handling, a refused token, and reconnecting the event socket while someone listens.
import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../src-shared/api.js';
import { browserTransport, pageToken } from '../../../src-renderer/src/lib/transport/browser.js';
import { eventsProtocols } from '../../../src-shared/events-socket.js';

/** Stands in for the browser's WebSocket: records instances, lets the test open, message and close them. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  closed = false;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.instances.push(this);
  }
  close(): void {
    this.closed = true;
    this.onclose?.();
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 500) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('browser transport', () => {
  it('takes the token from the URL once, removes it from the address bar and keeps it for reloads of this tab', () => {
    const replaced: string[] = [];
    const history = { state: null, replaceState: (_s: unknown, _t: string, url: string) => replaced.push(url) } as unknown as History;
    const kept = new Map<string, string>();
    const storage = { getItem: (key: string) => kept.get(key) ?? null, setItem: (key: string, value: string) => kept.set(key, value) } as unknown as Storage;
    expect(pageToken({ href: 'http://127.0.0.1:5000/?token=abc&x=1#/map' } as Location, history, storage)).toBe('abc');
    expect(replaced).toEqual(['http://127.0.0.1:5000/?x=1#/map']);
    // The reload: no token in the address bar any more, the tab's storage still has it.
    expect(pageToken({ href: 'http://127.0.0.1:5000/?x=1#/map' } as Location, history, storage)).toBe('abc');
    expect(replaced).toHaveLength(1);
    // A new token in the URL (a restarted server) replaces the kept one.
    expect(pageToken({ href: 'http://127.0.0.1:5000/?token=def' } as Location, history, storage)).toBe('def');
    expect(pageToken({ href: 'http://127.0.0.1:5000/' } as Location, history, storage)).toBe('def');
    expect(pageToken({ href: 'http://127.0.0.1:5000/' } as Location, history, null)).toBeNull();
  });

  it('asks for the printed URL, without a request, when the page has no token', async () => {
    let fetched = 0;
    const fakeFetch = (async () => {
      fetched++;
      return new Response('{}');
    }) as unknown as typeof fetch;
    FakeSocket.instances = [];
    const transport = browserTransport({ baseUrl: 'http://127.0.0.1:5000/', token: null, fetch: fakeFetch, WebSocket: FakeSocket as never });
    expect(await transport.call('jobs.list', {})).toEqual({ ok: false, error: { code: 'bad_request', message: 'this page has no token: open the URL that `sae-explorer serve` printed' } });
    transport.subscribe(() => {})();
    expect([fetched, FakeSocket.instances.length]).toEqual([0, 0]);
  });

  it('sends requests as POST /api/<method> with the Bearer token, and explains a refused token', async () => {
    const sent: Array<{ url: string; init: RequestInit }> = [];
    const fakeFetch = (async (url: URL, init: RequestInit) => {
      sent.push({ url: url.toString(), init });
      return new Response('missing or wrong token', { status: 401, headers: { 'content-type': 'text/plain' } });
    }) as unknown as typeof fetch;
    const transport = browserTransport({ baseUrl: 'http://127.0.0.1:5000/', token: 'secret', fetch: fakeFetch, WebSocket: FakeSocket as never });
    const response = await transport.call('jobs.list', {});
    expect(sent[0]!.url).toBe('http://127.0.0.1:5000/api/jobs.list');
    expect(sent[0]!.init).toMatchObject({ method: 'POST', body: '{}', headers: { Authorization: 'Bearer secret' } });
    expect(response).toEqual({ ok: false, error: { code: 'bad_request', message: 'the server refused the token: open the URL that `sae-explorer serve` printed' } });
  });

  it('opens one event socket while someone listens, reconnects after a drop, and closes when nobody does', async () => {
    FakeSocket.instances = [];
    const transport = browserTransport({ baseUrl: 'http://127.0.0.1:5000/', token: 'secret', WebSocket: FakeSocket as never });
    const seen: ApiEvent[] = [];
    const stopA = transport.subscribe((event) => seen.push(event));
    const stopB = transport.subscribe(() => {});
    // The token rides as a subprotocol, never in the URL.
    expect(FakeSocket.instances.map((s) => [s.url, s.protocols])).toEqual([['ws://127.0.0.1:5000/api/events', eventsProtocols('secret')]]);

    const first = FakeSocket.instances[0]!;
    first.onopen?.();
    const event: ApiEvent = { type: 'job.log', jobId: 'job-1', level: 'info', message: 'hi' };
    first.onmessage?.({ data: JSON.stringify(event) });
    expect(seen).toEqual([event]);

    first.onclose?.(); // the server went away
    await until(() => FakeSocket.instances.length === 2);
    stopA();
    expect(FakeSocket.instances[1]!.closed).toBe(false);
    stopB();
    expect(FakeSocket.instances[1]!.closed).toBe(true);
    expect(FakeSocket.instances).toHaveLength(2);
  });
});
