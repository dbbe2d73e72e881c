// The browser-mode secret: a random token in the printed URL (as Jupyter does). The first request
// that carries it in the query gets it back as an HttpOnly, SameSite=Strict cookie, so the page's
// own scripts, styles and API calls are authorised without the token in every URL.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Cookies are shared by every port of a host, so the name carries the port: two servers, two cookies. */
export function tokenCookieName(port: number): string {
  return `sae_explorer_token_${port}`;
}

export function newToken(): string {
  return randomBytes(24).toString('hex');
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export type TokenSource = 'query' | 'header' | 'cookie';

/** Where a request carried the right token, or null when it carried none or a wrong one. */
export function authorise(request: IncomingMessage, url: URL, token: string, port: number): TokenSource | null {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery !== null) return sameSecret(fromQuery, token) ? 'query' : null;
  const auth = request.headers.authorization;
  if (auth !== undefined) return auth.startsWith('Bearer ') && sameSecret(auth.slice(7), token) ? 'header' : null;
  const fromCookie = cookieValue(request.headers.cookie, tokenCookieName(port));
  return fromCookie !== null && sameSecret(fromCookie, token) ? 'cookie' : null;
}

export function tokenCookie(token: string, port: number): string {
  return `${tokenCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
