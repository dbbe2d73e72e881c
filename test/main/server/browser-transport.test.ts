// The renderer's browser-mode transport (src-renderer/src/lib/transport/browser.ts) in Node: token
// handling, a refused token, and reconnecting the event socket while someone listens.
import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../src-shared/api.js';
import { browserTransport, takeTokenFromLocation } from '../../../src-renderer/src/lib/transport/browser.js';

/** Stands in for the browser's WebSocket: records instances, lets the test open, message and close them. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
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
  it('takes the token from the URL once and removes it from the address bar', () => {
    const replaced: string[] = [];
    const history = { state: null, replaceState: (_s: unknown, _t: string, url: string) => replaced.push(url) } as unknown as History;
    const token = takeTokenFromLocation({ href: 'http://127.0.0.1:5000/?token=abc&x=1#/map' } as Location, history);
    expect(token).toBe('abc');
    expect(replaced).toEqual(['http://127.0.0.1:5000/?x=1#/map']);
    expect(takeTokenFromLocation({ href: 'http://127.0.0.1:5000/' } as Location, history)).toBeNull();
    expect(replaced).toHaveLength(1);
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
    expect(FakeSocket.instances.map((s) => s.url)).toEqual(['ws://127.0.0.1:5000/api/events?token=secret']);

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
