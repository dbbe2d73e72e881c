// The desktop app's settings file (<userData>/settings.json): the workspace chosen last, the node the
// user set for the compute process, and the node that worked last time. A missing or broken file
// reads as no settings; writes are atomic.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';

export interface Settings {
  /** Absolute path of the workspace opened last. */
  workspace?: string;
  /** Absolute path of the Node.js executable to run the compute process on, set by the user. */
  node?: string;
  /** The node the compute process last started on; tried before searching again. */
  lastNode?: string;
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

export function updateSettings(userData: string, change: Settings): void {
  mkdirSync(userData, { recursive: true });
  writeJsonAtomic(settingsFile(userData), { ...readSettings(userData), ...change });
}
