// The desktop app's settings file (settings.json in the app's data folder): the workspace chosen
// last and the recent ones, the node the compute process runs on (the user's choice, and the one
// that worked last) and the CUDA libraries folder. A missing or broken file reads as no settings.
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';

export interface Settings {
  /** The workspace folder opened last. */
  workspace?: string;
  /** Workspace folders opened, most recent first, for File → Open Recent. */
  recentWorkspaces?: string[];
  /** Absolute path of the Node.js executable to run the compute process on, set by the user. */
  node?: string;
  /** The node the compute process last started on; tried before searching again. */
  lastNode?: string;
  /** A folder holding the CUDA 11 / cuDNN 8 libraries for tfjs-node-gpu (see `sae-explorer doctor`). */
  cudaLibraryDir?: string;
}

/**
 * The desktop app's data folder as Electron names it for the app run from its checkout (app name
 * "sae-explorer"), for `sae-explorer serve`, which runs without Electron but keeps the same recent
 * workspaces: %APPDATA%, ~/Library/Application Support, else $XDG_CONFIG_HOME or ~/.config.
 */
export function defaultUserData(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  const appData =
    platform === 'win32' ? (env.APPDATA ?? path.join(home, 'AppData', 'Roaming'))
    : platform === 'darwin' ? path.join(home, 'Library', 'Application Support')
    : (env.XDG_CONFIG_HOME || path.join(home, '.config'));
  return path.join(appData, 'sae-explorer');
}

function settingsFile(userData: string): string {
  return path.join(userData, 'settings.json');
}

export function readSettings(userData: string): Settings {
  try {
    const value: unknown = JSON.parse(readFileSync(settingsFile(userData), 'utf8'));
    return typeof value === 'object' && value !== null ? (value as Settings) : {};
  } catch {
    return {};
  }
}

/** Merges `change` into the file; an undefined field is removed. */
export function updateSettings(userData: string, change: Partial<Settings>): void {
  mkdirSync(userData, { recursive: true });
  writeJsonAtomic(settingsFile(userData), { ...readSettings(userData), ...change });
}
