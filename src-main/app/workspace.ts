// Which workspace folder the desktop app opens: the one chosen last (remembered in the app's data
// directory), else <app data>/workspace. SAE_EXPLORER_WORKSPACE overrides both.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';

interface Settings {
  workspace?: string;
}

function settingsFile(userData: string): string {
  return path.join(userData, 'settings.json');
}

function readSettings(userData: string): Settings {
  try {
    const value: unknown = JSON.parse(readFileSync(settingsFile(userData), 'utf8'));
    return typeof value === 'object' && value !== null ? (value as Settings) : {};
  } catch {
    return {};
  }
}

export function resolveWorkspace(userData: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.SAE_EXPLORER_WORKSPACE) return path.resolve(env.SAE_EXPLORER_WORKSPACE);
  const remembered = readSettings(userData).workspace;
  if (remembered && existsSync(remembered)) return remembered;
  const fallback = path.join(userData, 'workspace');
  mkdirSync(fallback, { recursive: true });
  return fallback;
}

export function rememberWorkspace(userData: string, workspace: string): void {
  mkdirSync(userData, { recursive: true });
  writeJsonAtomic(settingsFile(userData), { ...readSettings(userData), workspace: path.resolve(workspace) });
}
