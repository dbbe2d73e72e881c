// Which workspace folder the desktop app opens: the one chosen last (remembered in the app's data
// directory), else the demo workspace, which the app builds when it opens it unbuilt.
// SAE_EXPLORER_WORKSPACE overrides both. The folders opened before are kept too, most recent first,
// for File → Open Recent.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { RecentWorkspaces } from '../jobs/workspace/catalog.js';
import { readSettings, updateSettings } from './settings.js';

/** Where the demo workspace is; `npm start` sets it to the checkout's ./workspace, where `npm run demo` builds it. */
export const DEMO_WORKSPACE_ENV = 'SAE_EXPLORER_DEMO_WORKSPACE';

/** The demo workspace: $SAE_EXPLORER_DEMO_WORKSPACE, else <app data>/workspace. */
export function demoWorkspace(userData: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env[DEMO_WORKSPACE_ENV] || path.join(userData, 'workspace'));
}

export function resolveWorkspace(userData: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.SAE_EXPLORER_WORKSPACE) return path.resolve(env.SAE_EXPLORER_WORKSPACE);
  const remembered = readSettings(userData).workspace;
  if (remembered && existsSync(remembered)) return remembered;
  const fallback = demoWorkspace(userData, env);
  mkdirSync(fallback, { recursive: true });
  return fallback;
}

/** Recent workspaces kept in the settings. */
export const MAX_RECENT_WORKSPACES = 10;

/** Records the workspace as the most recent one. */
function addRecentWorkspace(userData: string, workspace: string, change: { workspace?: string } = {}): void {
  const folder = path.resolve(workspace);
  const recent = [folder, ...(readSettings(userData).recentWorkspaces ?? []).filter((other) => other !== folder)];
  updateSettings(userData, { ...change, recentWorkspaces: recent.slice(0, MAX_RECENT_WORKSPACES) });
}

/** Records the workspace as the one to open next time and as the most recent one. */
export function rememberWorkspace(userData: string, workspace: string): void {
  addRecentWorkspace(userData, workspace, { workspace: path.resolve(workspace) });
}

/**
 * The recent list of the settings in `userData`, for the in-app workspace list. Opening one there
 * adds it to the list only: which workspace the desktop app opens at start stays its own choice.
 */
export function settingsRecent(userData: string): RecentWorkspaces {
  return { list: () => recentWorkspaces(userData), remember: (folder) => addRecentWorkspace(userData, folder) };
}

/** The remembered workspaces that still exist, most recent first. */
export function recentWorkspaces(userData: string): string[] {
  const recent = readSettings(userData).recentWorkspaces;
  return Array.isArray(recent) ? recent.filter((folder) => typeof folder === 'string' && existsSync(folder)) : [];
}
