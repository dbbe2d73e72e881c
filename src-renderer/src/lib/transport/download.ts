// Taking an SAE out of the app in a browser: GET /api/sae-download with this page's token (a header,
// so the page fetches the .zip and hands it to the browser's download). The desktop app writes it
// into a folder chosen in its native dialog instead (desktop.ts).
import { ApiError, unwrap } from '../../../../src-shared/api.js';
import { NO_TOKEN } from './browser.js';
import type { ApiResponse, SaeExportFormat } from '../../../../src-shared/api.js';

/** What the server's route is called (src-main/server/download.ts). */
const DOWNLOAD_ROUTE = '/api/sae-download';

/** The .zip of workspace SAE `sae` as `format` from the server at `baseUrl`, and its file name; rejects with the server's reason. */
export async function fetchSaeZip(sae: string, format: SaeExportFormat, server: { baseUrl: string; token: string | null; fetch?: typeof fetch }): Promise<{ name: string; zip: Blob }> {
  const { token } = server;
  const doFetch = server.fetch ?? fetch.bind(globalThis);
  if (token === null) throw new ApiError('bad_request', NO_TOKEN);
  const url = new URL(DOWNLOAD_ROUTE, server.baseUrl);
  url.search = new URLSearchParams({ sae, format }).toString();
  const response = await doFetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if ((response.headers.get('content-type') ?? '').startsWith('application/json')) unwrap((await response.json()) as ApiResponse<never>);
  if (!response.ok) throw new ApiError('internal', `download: the server answered ${response.status} ${(await response.text()).slice(0, 200)}`);
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `${sae.replaceAll('/', '-')}.zip`;
  return { name, zip: await response.blob() };
}
