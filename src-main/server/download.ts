// GET /api/sae-download?sae=<id>&format=saelens|sparsify: a workspace SAE as a .zip, browser mode's
// way out of the app (the desktop app writes the same files into a folder, app/pick.ts). The SAE is
// named by id and found through the workspace's containment check (jobs/workspace/export.ts), never
// by path. The archive is streamed: each file goes out in the chunks it is read in (stored, not
// deflated: float weights barely compress, and the machine's CPU is better spent elsewhere), waiting
// for the client whenever the socket's buffer is full, so the server holds one chunk at a time; only
// a sparsify export holds the converted weights in memory while it goes out (sae/formats/export.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Zip, ZipPassThrough } from 'fflate';
import { ApiError, errorResponse, toErrorInfo } from '../../src-shared/api.js';
import type { WorkspaceLayout } from '../jobs/workspace/layout.js';
import { workspaceSaeExport } from '../jobs/workspace/export.js';
import type { ExportFile } from '../sae/formats/export.js';

export const SAE_DOWNLOAD_ROUTE = 'sae-download';

/**
 * Bytes of files one download may hold. fflate writes no ZIP64, so an archive must stay under 4 GiB;
 * half that leaves room, and bounds what a sparsify conversion holds in memory (about 1.5× this).
 * GPT-2 small's widest public SAEs (24,576 latents, float32) are 151 MB.
 */
export const DOWNLOAD_LIMIT_BYTES = 2 * 1024 ** 3;

function refuse(response: ServerResponse, status: number, info: { code: ApiError['code']; message: string }): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(errorResponse(info)));
}

function waitForDrain(response: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      response.off('drain', drained);
      response.off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const drained = (): void => done();
    const closed = (): void => done(new Error('the client went away'));
    response.once('drain', drained);
    response.once('close', closed);
  });
}

/** Writes `files` as one zip archive to `response`, a chunk at a time. */
async function streamZip(files: ExportFile[], response: ServerResponse): Promise<void> {
  let full = false;
  const zip = new Zip((err, chunk, final) => {
    if (err) throw err;
    if (!response.write(chunk)) full = true;
    if (final) response.end();
  });
  for (const file of files) {
    const entry = new ZipPassThrough(file.path);
    zip.add(entry);
    for await (const chunk of file.read()) {
      entry.push(chunk);
      if (full) {
        await waitForDrain(response);
        full = false;
      }
    }
    entry.push(new Uint8Array(0), true);
  }
  zip.end();
}

export async function handleSaeDownload(request: IncomingMessage, response: ServerResponse, url: URL, workspace: WorkspaceLayout, limitBytes: number): Promise<void> {
  const method = SAE_DOWNLOAD_ROUTE;
  if (request.method !== 'GET') return refuse(response, 405, { code: 'bad_request', message: `${method}: downloads are GET /api/${method}?sae=<id>&format=saelens|sparsify` });
  const unknown = [...url.searchParams.keys()].filter((key) => key !== 'sae' && key !== 'format');
  if (unknown.length > 0) return refuse(response, 400, { code: 'bad_request', message: `${method}: unknown parameter "${unknown[0]}"; expected sae and format` });
  let exported;
  try {
    exported = workspaceSaeExport(workspace, method, url.searchParams.get('sae') ?? undefined, url.searchParams.get('format') ?? undefined);
  } catch (err) {
    const info = toErrorInfo(err);
    return refuse(response, info.code === 'not_found' ? 404 : info.code === 'bad_request' ? 400 : 500, info);
  }
  const bytes = exported.files.reduce((sum, file) => sum + file.size, 0);
  if (bytes > limitBytes) {
    return refuse(response, 413, { code: 'bad_request', message: `${method}: ${exported.name} is ${bytes} bytes; a download holds at most ${limitBytes} bytes (the desktop app exports to a folder without this limit)` });
  }
  response.writeHead(200, {
    'Content-Type': 'application/zip',
    'Content-Disposition': `attachment; filename="${exported.name}.zip"`,
    'Cache-Control': 'no-store',
  });
  try {
    await streamZip(exported.files, response);
  } catch {
    // The headers are out: a broken archive is all the client can be told, so the connection ends.
    response.destroy();
  }
}
