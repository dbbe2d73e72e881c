// Request checks of the browser-mode server that are not the token: the Host header (a DNS-rebinding
// page would send its own host name), the Origin of state-changing requests, and the headers every
// response carries.
import type { IncomingMessage, ServerResponse } from 'node:http';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

function hostName(hostHeader: string): string {
  return hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0]!;
}

/**
 * When bound to loopback, only loopback host names are accepted. When the user binds another address
 * on purpose (--host), any Host is accepted and the token is the guard.
 */
export function hostAllowed(request: IncomingMessage, loopbackOnly: boolean): boolean {
  const host = request.headers.host;
  if (!host) return false;
  return !loopbackOnly || LOOPBACK_NAMES.has(hostName(host).toLowerCase());
}

/** A browser sends Origin on cross-site POSTs and WebSocket upgrades; it must be this server. */
export function originAllowed(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${request.headers.host}`;
}

export function contentSecurityPolicy(host: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://${host}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function setCommonHeaders(request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  // The token travels in the first URL; never leak it to another site through Referer.
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Content-Security-Policy', contentSecurityPolicy(request.headers.host ?? '127.0.0.1'));
}
