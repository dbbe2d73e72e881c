// PUT /api/upload: files from the browser into the workspace's uploads/ (src-main/jobs/workspace/
// uploads.ts), streamed to disk as they arrive, never held in memory. The manifest (each file's path
// and size, in order) comes in a header, URI-encoded JSON; the body is the files back to back, and its
// Content-Length must be their sum, so the size is known and bounded before a byte is written. The
// answer is the contract's envelope holding an UploadReceipt; a refused or broken upload leaves nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errorResponse, toErrorInfo } from '../../src-shared/api.js';
import type { ApiResponse, UploadReceipt } from '../../src-shared/api.js';
import type { WorkspaceLayout } from '../jobs/workspace/layout.js';
import { checkManifest, receiveUpload } from '../jobs/workspace/uploads.js';

export const UPLOAD_ROUTE = 'upload';
export const UPLOAD_MANIFEST_HEADER = 'x-sae-upload-files';

function answer(response: ServerResponse, status: number, body: ApiResponse<UploadReceipt>, close: boolean): void {
  // A refusal may come before the client has sent its body; closing the connection is the only way
  // not to read gigabytes that will be dropped.
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...(close ? { Connection: 'close' } : {}) });
  response.end(JSON.stringify(body));
}

function refuse(response: ServerResponse, status: number, message: string): void {
  answer(response, status, errorResponse({ code: 'bad_request', message: `upload: ${message}` }), true);
}

export async function handleUpload(request: IncomingMessage, response: ServerResponse, workspace: WorkspaceLayout, limitBytes: number): Promise<void> {
  if (request.method !== 'PUT') return refuse(response, 405, 'uploads are PUT /api/upload with the files back to back as the body');
  const header = request.headers[UPLOAD_MANIFEST_HEADER];
  if (typeof header !== 'string') return refuse(response, 400, `the ${UPLOAD_MANIFEST_HEADER} header must list the files as URI-encoded JSON [{"path", "size"}]`);
  let manifest: unknown;
  try {
    manifest = JSON.parse(decodeURIComponent(header));
  } catch (err) {
    return refuse(response, 400, `the ${UPLOAD_MANIFEST_HEADER} header is not URI-encoded JSON: ${(err as Error).message}`);
  }
  let total: number;
  try {
    total = checkManifest(manifest, Number.MAX_SAFE_INTEGER).reduce((sum, file) => sum + file.size, 0);
  } catch (err) {
    return refuse(response, 400, (err as ApiError).message.replace(/^upload: /, ''));
  }
  if (total > limitBytes) return refuse(response, 413, `${total} bytes in all; at most ${limitBytes} bytes per upload`);
  const length = Number(request.headers['content-length']);
  if (request.headers['content-length'] === undefined || length !== total) {
    return refuse(response, 400, `Content-Length must be the files' ${total} bytes, got ${request.headers['content-length'] ?? 'none'}`);
  }
  try {
    const receipt = await receiveUpload(workspace, manifest, request, { limitBytes });
    answer(response, 200, { ok: true, result: receipt }, false);
  } catch (err) {
    const info = toErrorInfo(err);
    answer(response, info.code === 'bad_request' ? 400 : 500, errorResponse(info), true);
  }
}
