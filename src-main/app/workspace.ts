// Which workspace folder the desktop app opens: the one chosen last (remembered in the app's data
// directory), else <app data>/workspace. SAE_EXPLORER_WORKSPACE overrides both.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { readSettings, updateSettings } from './settings.js';

export function resolveWorkspace(userData: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.SAE_EXPLORER_WORKSPACE) return path.resolve(env.SAE_EXPLORER_WORKSPACE);
  const remembered = readSettings(userData).workspace;
  if (remembered && existsSync(remembered)) return remembered;
  const fallback = path.join(userData, 'workspace');
  mkdirSync(fallback, { recursive: true });
  return fallback;
}

export function rememberWorkspace(userData: string, workspace: string): void {
  updateSettings(userData, { workspace: path.resolve(workspace) });
}
