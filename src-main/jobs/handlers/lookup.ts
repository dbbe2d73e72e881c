// Resolves the ids in request params to workspace folders, with not_found errors that list what the
// workspace does hold.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import { EMBEDDED_DATASET, type WorkspaceLayout } from '../workspace/layout.js';

function available(dir: string): string {
  try {
    const names = readdirSync(dir).filter((name) => !name.startsWith('.'));
    return names.length ? names.join(', ') : 'none';
  } catch {
    return 'none';
  }
}

export function requireModel(workspace: WorkspaceLayout, method: string, id: string): string {
  const folder = workspace.model(id);
  if (!existsSync(path.join(folder, 'config.json'))) {
    throw new ApiError('not_found', `${method}: no model "${id}" in ${workspace.dir('models')} (have: ${available(workspace.dir('models'))})`);
  }
  return folder;
}

/** Returns the dataset's path, or EMBEDDED_DATASET for the built-in corpus. */
export function requireDataset(workspace: WorkspaceLayout, method: string, id: string): string {
  if (id === EMBEDDED_DATASET) return id;
  const target = workspace.dataset(id);
  if (!existsSync(target)) {
    throw new ApiError('not_found', `${method}: no dataset "${id}" in ${workspace.dir('datasets')} (have: ${EMBEDDED_DATASET}, ${available(workspace.dir('datasets'))})`);
  }
  return target;
}

export function requireSae(workspace: WorkspaceLayout, method: string, id: string): string {
  const folder = workspace.sae(id);
  if (!existsSync(path.join(folder, 'cfg.json'))) {
    throw new ApiError('not_found', `${method}: no SAE "${id}" (no cfg.json in ${folder})`);
  }
  return folder;
}

export function requireFamily(workspace: WorkspaceLayout, method: string, id: string): string {
  const folder = workspace.family(id);
  if (!existsSync(folder)) {
    throw new ApiError('not_found', `${method}: no SAE family "${id}" in ${workspace.dir('saes')} (have: ${available(workspace.dir('saes'))})`);
  }
  return folder;
}

export function requireDatabase(workspace: WorkspaceLayout, method: string, id?: string): string {
  const file = workspace.database(id);
  if (!existsSync(file)) {
    throw new ApiError('not_found', `${method}: no feature database ${file}; run a harvest first (have: ${available(workspace.dir('db'))})`);
  }
  return file;
}
