// Browser mode: the built renderer and the API contract over HTTP + WebSocket, for a machine reached
// over SSH. Routes:
//   GET  /, /assets/...     the renderer build (out/renderer): public code, no token needed
//   POST /api/<method>      one contract request; body = params JSON; answer = ApiResponse JSON
//   GET  /api/events        WebSocket upgrade; every ApiEvent as one JSON text message
//   PUT  /api/upload        files into the workspace's uploads/ (upload.ts), for saes.import and datasets.add
//   GET  /api/sae-download  a workspace SAE as a .zip, SAELens or sparsify (download.ts)
// The API and the events need the token (Bearer header; on the WebSocket also as a subprotocol);
// the default bind is 127.0.0.1. The workspace's files are never served.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, type ReadStream } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { pipeline, type Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { errorResponse, isApiMethod } from '../../src-shared/api.js';
import type { ApiTransport } from '../../src-shared/api.js';
import { parseParams, readBody } from './body.js';
import { mimeType, resolveInside } from './files.js';
import { hostAllowed, originAllowed, setCommonHeaders } from './security.js';
import { EVENTS_PROTOCOL } from '../../src-shared/events-socket.js';
import { authorised, newToken } from './token.js';
import { DOWNLOAD_LIMIT_BYTES, handleSaeDownload, SAE_DOWNLOAD_ROUTE } from './download.js';
import { handleUpload, UPLOAD_ROUTE } from './upload.js';
import { WorkspaceLayout } from '../jobs/workspace/layout.js';
import { UPLOAD_LIMITS } from '../jobs/workspace/uploads.js';

export interface ApiServerOptions {
  /** Where requests go: the compute process host, or a Dispatcher in tests. */
  backend: ApiTransport;
  /** The renderer build folder (out/renderer). */
  rendererDir: string;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Port; 0 (default) takes any free port. */
  port?: number;
  /** The secret; a fresh random one when omitted. */
  token?: string;
  /**
   * Opens a file that was found to exist; default createReadStream. Tests swap it to remove the file
   * between that check and the open, as a rebuild of the renderer does for real.
   */
  openFile?: (file: string) => ReadStream;
  /** The open workspace's folder (a function when the page can open others), where PUT /api/upload writes; without it uploads are refused. */
  workspace?: string | (() => string);
  /** Bytes of one upload; default UPLOAD_LIMITS.bytes. */
  uploadLimitBytes?: number;
  /** Bytes of one SAE download; default DOWNLOAD_LIMIT_BYTES. */
  downloadLimitBytes?: number;
}

export interface ApiServer {
  /** The URL to open, token included. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(`${text}\n`);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(body));
}

/**
 * Headers go out only once the file is open, so a file that vanished since it was resolved is a 404.
 * After that, a read error or a client that leaves ends both streams (pipeline), and neither may throw:
 * an 'error' event without a listener would kill the server.
 */
function sendFile(response: ServerResponse, file: string, open: (file: string) => ReadStream): void {
  const stream = open(file);
  const vanished = (): void => sendText(response, 404, 'not found');
  stream.once('error', vanished);
  stream.once('ready', () => {
    stream.off('error', vanished);
    response.writeHead(200, { 'Content-Type': mimeType(file), 'Cache-Control': 'no-cache' });
    pipeline(stream, response, () => {});
  });
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const token = options.token ?? newToken();
  const bindHost = options.host ?? '127.0.0.1';
  const loopbackOnly = LOOPBACK_HOSTS.has(bindHost);
  const { workspace } = options;
  const openWorkspace = workspace === undefined ? null : typeof workspace === 'string' ? () => workspace : workspace;
  // The events socket speaks EVENTS_PROTOCOL; a browser also offers the token as a subprotocol,
  // which is never selected, so the answer does not echo it.
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, handleProtocols: (offered) => (offered.has(EVENTS_PROTOCOL) ? EVENTS_PROTOCOL : false) });

  async function handleApi(request: IncomingMessage, response: ServerResponse, method: string): Promise<void> {
    if (request.method !== 'POST') return sendText(response, 405, 'API requests are POST /api/<method> with a JSON body');
    if (!isApiMethod(method)) {
      return sendJson(response, 404, errorResponse({ code: 'bad_request', message: `unknown request "${method}"` }));
    }
    const body = await readBody(request);
    if (body.status === 413) return sendJson(response, 413, errorResponse({ code: 'bad_request', message: `${method}: ${body.message}` }));
    const parsed = parseParams(body.text);
    if (!parsed.ok) return sendJson(response, 400, errorResponse({ code: 'bad_request', message: `${method}: ${parsed.message}` }));
    const answer = await options.backend.call(method, parsed.params);
    // Params that do not match the contract are the client's error at the HTTP level too; every
    // other answer (not_found, conflict...) is the contract's, carried in a 200.
    sendJson(response, !answer.ok && answer.error.code === 'bad_request' ? 400 : 200, answer);
  }

  function handle(request: IncomingMessage, response: ServerResponse): void {
    setCommonHeaders(request, response);
    if (!hostAllowed(request, loopbackOnly)) return sendText(response, 403, 'Host header is not a loopback name');
    const url = new URL(request.url ?? '/', 'http://server.invalid');

    if (url.pathname.startsWith('/api/')) {
      if (!authorised(request, token, false)) return sendText(response, 401, 'missing or wrong token: open the URL that `sae-explorer serve` printed');
      if (!originAllowed(request)) return sendText(response, 403, 'cross-origin API request refused');
      if (url.pathname === `/api/${UPLOAD_ROUTE}`) {
        if (!openWorkspace) return sendText(response, 404, 'this server takes no uploads (it was started without a workspace)');
        void handleUpload(request, response, new WorkspaceLayout(openWorkspace()), options.uploadLimitBytes ?? UPLOAD_LIMITS.bytes).catch((err: Error) => sendText(response, 500, err.message));
        return;
      }
      if (url.pathname === `/api/${SAE_DOWNLOAD_ROUTE}`) {
        if (!openWorkspace) return sendText(response, 404, 'this server has no workspace to download from');
        void handleSaeDownload(request, response, url, new WorkspaceLayout(openWorkspace()), options.downloadLimitBytes ?? DOWNLOAD_LIMIT_BYTES).catch((err: Error) => sendText(response, 500, err.message));
        return;
      }
      void handleApi(request, response, url.pathname.slice('/api/'.length)).catch((err: Error) => sendText(response, 500, err.message));
      return;
    }
    // The renderer build holds no secret and cannot hold the token (a page loads its scripts
    // without headers), so it is served to any loopback client; the data stays behind the API.
    if (request.method !== 'GET' && request.method !== 'HEAD') return sendText(response, 405, 'only GET serves files');
    const file = resolveInside(options.rendererDir, url.pathname === '/' ? 'index.html' : url.pathname);
    if (!file) return sendText(response, 404, 'not found');
    sendFile(response, file, options.openFile ?? createReadStream);
  }

  function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node hands an upgrade's socket over without its error listener; a reset would otherwise throw.
    socket.on('error', () => socket.destroy());
    const url = new URL(request.url ?? '/', 'http://server.invalid');
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    };
    if (!hostAllowed(request, loopbackOnly) || !originAllowed(request)) return refuse('403 Forbidden');
    if (!authorised(request, token, true)) return refuse('401 Unauthorized');
    if (url.pathname !== '/api/events') return refuse('404 Not Found');
    sockets.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      const unsubscribe = options.backend.subscribe((event) => ws.send(JSON.stringify(event)));
      ws.on('close', unsubscribe);
      // An oversized or malformed frame: ws closes the socket itself; the event must not go unheard.
      ws.on('error', () => ws.terminate());
    });
  }

  const server: Server = createServer(handle);
  server.on('upgrade', upgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
