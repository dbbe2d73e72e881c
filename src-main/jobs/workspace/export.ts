// Which SAE of the workspace goes out, and in which format: the request's id goes through the
// workspace's containment check like every other id, and only an SAE folder of the workspace is
// read. Shared by the desktop app's export to a folder (app/pick.ts) and browser mode's download
// (server/download.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import { EXPORT_FORMATS, exportFiles, type ExportFile, type ExportFormat } from '../../sae/formats/export.js';
import { SAELENS_CFG } from '../../sae/formats/saelens.js';
import type { WorkspaceLayout } from './layout.js';

export interface SaeExport {
  /** The export's top folder: "fam-4096" (SAELens) or "fam-4096-sparsify". */
  name: string;
  files: ExportFile[];
}

/** The files exporting workspace SAE `sae` as `format`; bad_request naming what is wrong, not_found for no such SAE. */
export function workspaceSaeExport(workspace: WorkspaceLayout, method: string, sae: unknown, format: unknown): SaeExport {
  if (typeof sae !== 'string') throw new ApiError('bad_request', `${method}: the SAE must be an id like "fam/4096", got ${JSON.stringify(sae)}`);
  if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ApiError('bad_request', `${method}: the format must be ${EXPORT_FORMATS.join(' or ')}, got ${JSON.stringify(format)}`);
  }
  const entry = workspace.entry(method, 'saes', sae);
  if (entry.state !== 'present' || !existsSync(path.join(entry.path, SAELENS_CFG))) throw new ApiError('not_found', `${method}: no SAE "${sae}" in this workspace`);
  const name = `${sae.replaceAll('/', '-')}${format === 'sparsify' ? '-sparsify' : ''}`;
  try {
    return { name, files: exportFiles(entry.path, format as ExportFormat, name) };
  } catch (err) {
    throw new ApiError('bad_request', `${method}: ${sae} cannot be exported as ${format}: ${(err as Error).message}`);
  }
}
