// The browser-mode secret: a random token in the printed URL (as Jupyter does). The page takes it
// from the URL once, keeps it in its own tab (sessionStorage) and sends it with every API call as
// `Authorization: Bearer` and on the events WebSocket as a subprotocol. No cookie: a browser sends
// cookies to every server on 127.0.0.1 whatever its port, which would hand the token to any of them.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_PROTOCOL_PREFIX } from '../../src-shared/events-socket.js';

export function newToken(): string {
  return randomBytes(24).toString('hex');
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token offered as a WebSocket subprotocol, if any. */
function protocolToken(request: IncomingMessage): string | null {
  const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const carrier = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  return carrier === undefined ? null : carrier.slice(TOKEN_PROTOCOL_PREFIX.length);
}

/**
 * Whether a request carries the right token: as `Authorization: Bearer`, or (WebSocket upgrades
 * only) as the `bearer.<token>` subprotocol. A token in the URL is never accepted by the server.
 */
export function authorised(request: IncomingMessage, token: string, upgrade: boolean): boolean {
  const auth = request.headers.authorization;
  if (auth !== undefined) return auth.startsWith('Bearer ') && sameSecret(auth.slice(7), token);
  const offered = upgrade ? protocolToken(request) : null;
  return offered !== null && sameSecret(offered, token);
}
