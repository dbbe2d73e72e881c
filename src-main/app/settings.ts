// The desktop app's settings file (settings.json in the app's data folder): the workspace chosen
// last and the recent ones, the node the compute process runs on (the user's choice, and the one
// that worked last) and the CUDA libraries folder. A missing or broken file reads as no settings.
import { mkdirSync, readFileSync } from 'node:fs';
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
