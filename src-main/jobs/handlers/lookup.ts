// Resolves the ids in request params to workspace paths through the layout's one containment check
// (WorkspaceLayout.entry), with not_found errors that list what the workspace does hold. An entry
// that leads outside the workspace answers exactly as a missing one does.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import { DEFAULT_DATABASE, EMBEDDED_DATASET, type WorkspaceDir, type WorkspaceLayout } from '../workspace/layout.js';

function available(dir: string): string {
  try {
    const names = readdirSync(dir).filter((name) => !name.startsWith('.'));
    return names.length ? names.join(', ') : 'none';
  } catch {
    return 'none';
  }
}

const INSIDE_NOTE = 'entries must lie inside the workspace, links out of it are not followed';

/** The entry's path when it is there, inside the workspace, and holds `marker` (when given); else null. */
function presentPath(workspace: WorkspaceLayout, method: string, kind: WorkspaceDir, id: string, marker?: string): string | null {
  const entry = workspace.entry(method, kind, id);
  if (entry.state !== 'present') return null;
  return marker === undefined || existsSync(path.join(entry.path, marker)) ? entry.path : null;
}

export function requireModel(workspace: WorkspaceLayout, method: string, id: string): string {
  const folder = presentPath(workspace, method, 'models', id, 'config.json');
  if (folder === null) {
    throw new ApiError('not_found', `${method}: no model "${id}" in ${workspace.dir('models')} (have: ${available(workspace.dir('models'))}); ${INSIDE_NOTE}`);
  }
  return folder;
}

/** Returns the dataset's path, or EMBEDDED_DATASET for the built-in corpus. */
export function requireDataset(workspace: WorkspaceLayout, method: string, id: string): string {
  if (id === EMBEDDED_DATASET) return id;
  const target = presentPath(workspace, method, 'datasets', id);
  if (target === null) {
    throw new ApiError('not_found', `${method}: no dataset "${id}" in ${workspace.dir('datasets')} (have: ${EMBEDDED_DATASET}, ${available(workspace.dir('datasets'))}); ${INSIDE_NOTE}`);
  }
  return target;
}

export function requireSae(workspace: WorkspaceLayout, method: string, id: string): string {
  const folder = presentPath(workspace, method, 'saes', id, 'cfg.json');
  if (folder === null) {
    throw new ApiError('not_found', `${method}: no SAE "${id}" in ${workspace.dir('saes')} (a folder with a cfg.json); ${INSIDE_NOTE}`);
  }
  return folder;
}

export function requireFamily(workspace: WorkspaceLayout, method: string, id: string): string {
  const folder = presentPath(workspace, method, 'saes', id);
  if (folder === null) {
    throw new ApiError('not_found', `${method}: no SAE family "${id}" in ${workspace.dir('saes')} (have: ${available(workspace.dir('saes'))}); ${INSIDE_NOTE}`);
  }
  return folder;
}

export function requireDatabase(workspace: WorkspaceLayout, method: string, id: string = DEFAULT_DATABASE): string {
  const file = presentPath(workspace, method, 'db', id);
  if (file === null) {
    throw new ApiError('not_found', `${method}: no feature database "${id}" in ${workspace.dir('db')}; run a harvest first (have: ${available(workspace.dir('db'))})`);
  }
  return file;
}

/**
 * The path of a new entry a request will create: free, or (when `reuse`) already there to continue.
 * Something there that leads outside the workspace is a conflict, whatever it points at.
 */
export function newEntry(workspace: WorkspaceLayout, method: string, kind: WorkspaceDir, noun: string, id: string, reuse = false): string {
  const entry = workspace.entry(method, kind, id);
  if (entry.state === 'absent' || (reuse && entry.state === 'present')) return entry.path;
  const why = entry.state === 'refused' ? 'it leads outside the workspace or nowhere (a link); remove it or pick another name' : 'pick another name';
  throw new ApiError('conflict', `${method}: ${noun} "${id}" already exists in ${workspace.dir(kind)}; ${why}`);
}
