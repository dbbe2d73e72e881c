// How the browser-mode page authenticates its events WebSocket: browsers cannot set headers on a
// WebSocket, so the token travels as a subprotocol (`bearer.<token>`) offered beside the one the
// server selects (EVENTS_PROTOCOL), which keeps the token out of URLs and out of the server's answer.

/** The subprotocol the events socket speaks; the server selects it. */
export const EVENTS_PROTOCOL = 'sae-explorer.events';
/** Prefix of the subprotocol that carries the token. */
export const TOKEN_PROTOCOL_PREFIX = 'bearer.';

/** The subprotocols a page offers when opening the events socket with `token`. */
export function eventsProtocols(token: string): string[] {
  return [EVENTS_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`];
}
