// Taking an SAE out of the app, the one way each shell allows: in a browser, GET /api/sae-download
// with this page's token (a header, so the page fetches the .zip and hands it to the browser's
// download); in the desktop app, the preload's export, which asks for a folder in the native dialog.
import { ApiError, unwrap } from '../../../../src-shared/api.js';
import type { ApiResponse, SaeExportFormat } from '../../../../src-shared/api.js';

/** What the server's route is called (src-main/server/download.ts). */
const DOWNLOAD_ROUTE = '/api/sae-download';

/** The .zip of workspace SAE `sae` as `format`, and its file name; rejects with the server's reason. */
export async function fetchSaeZip(sae: string, format: SaeExportFormat, token: string | null, doFetch: typeof fetch = fetch.bind(globalThis)): Promise<{ name: string; zip: Blob }> {
  if (token === null) throw new ApiError('bad_request', 'this page has no token: open the URL that `sae-explorer serve` printed');
  const url = new URL(DOWNLOAD_ROUTE, window.location.href);
  url.search = new URLSearchParams({ sae, format }).toString();
  const response = await doFetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if ((response.headers.get('content-type') ?? '').startsWith('application/json')) unwrap((await response.json()) as ApiResponse<never>);
  if (!response.ok) throw new ApiError('internal', `download: the server answered ${response.status} ${(await response.text()).slice(0, 200)}`);
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `${sae.replaceAll('/', '-')}.zip`;
  return { name, zip: await response.blob() };
}

/** The desktop app's SAE export (a folder chooser, then the files written), or null in a browser. */
export function desktopExporter(): ((sae: string, format: SaeExportFormat) => Promise<string | null>) | null {
  const desktop = window.saeExplorerDesktop;
  if (!desktop) return null;
  return async (sae, format) => unwrap(await desktop.exportSae(sae, format));
}

/** The desktop app's folder dialog that opens another workspace, or null in a browser. */
export function desktopWorkspaceDialog(): (() => Promise<string | null>) | null {
  const desktop = window.saeExplorerDesktop;
  if (!desktop) return null;
  return async () => unwrap(await desktop.openWorkspace());
}
