// Browser mode's SAE download in the page: the token goes as a header, the file name comes from the
// server, and a refusal (a JSON envelope instead of a zip) becomes the ApiError the UI shows.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src-shared/api.js';
import { fetchSaeZip } from '../../../src-renderer/src/lib/transport/download.js';

function fakeFetch(answer: Response) {
  const asked: Array<{ url: string; headers: unknown }> = [];
  const doFetch = (async (url: URL, init?: RequestInit) => (asked.push({ url: url.toString(), headers: init?.headers }), answer)) as typeof fetch;
  return { doFetch, asked };
}

describe('fetchSaeZip', () => {
  it('asks for the SAE and format with the token as a header, and names the file as the server does', async () => {
    const { doFetch, asked } = fakeFetch(new Response(new Uint8Array([80, 75, 3, 4]), { headers: { 'Content-Type': 'application/zip', 'Content-Disposition': 'attachment; filename="fam-64-sparsify.zip"' } }));
    const { name, zip } = await fetchSaeZip('fam/64', 'sparsify', { baseUrl: 'http://127.0.0.1:9/#/home', token: 'tok', fetch: doFetch });
    expect(asked).toEqual([{ url: 'http://127.0.0.1:9/api/sae-download?sae=fam%2F64&format=sparsify', headers: { Authorization: 'Bearer tok' } }]);
    expect(name).toBe('fam-64-sparsify.zip');
    expect(zip.size).toBe(4);
  });

  it('rejects with the server\'s reason and code when it refuses', async () => {
    const refusal = { ok: false, error: { code: 'bad_request', message: 'sae-download: fam/64 cannot be exported as sparsify: …layer_norm…' } };
    const { doFetch } = fakeFetch(new Response(JSON.stringify(refusal), { status: 400, headers: { 'Content-Type': 'application/json; charset=utf-8' } }));
    const error = await fetchSaeZip('fam/64', 'sparsify', { baseUrl: 'http://127.0.0.1:9/', token: 'tok', fetch: doFetch }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'bad_request', message: refusal.error.message });
    const { doFetch: none, asked } = fakeFetch(new Response(''));
    await expect(fetchSaeZip('fam/64', 'saelens', { baseUrl: 'http://127.0.0.1:9/', token: null, fetch: none })).rejects.toThrow('this page has no token');
    expect(asked).toEqual([]);
  });
});
