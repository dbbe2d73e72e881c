// What a writer killed mid-write leaves in the workspace: the temporary siblings of the atomic writers
// (src-main/io/atomic.ts: a checkpoint or job record being written, an SAE or model folder being
// built, an old folder set aside). Their names carry the writer's pid; those of dead writers are
// removed when a compute process starts, so a crash leaves no debris for the listing or the next run.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { removeStaleTempSiblings } from '../../io/atomic.js';
import type { WorkspaceLayout } from './layout.js';

/** The folders the app writes into, to this depth below the workspace (saes/<family>/<size>/). */
const WRITTEN_DIRS = ['models', 'saes', 'db', 'jobs', 'uploads', 'comparisons'] as const;
const DEPTH = 3;

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.join(dir, entry.name));
  } catch {
    return [];
  }
}

export function sweepStaleTemps(layout: WorkspaceLayout, writerAlive: (pid: number) => boolean, warn: (message: string) => void): void {
  const visit = (dir: string, depth: number): void => {
    let removed: string[];
    try {
      removed = removeStaleTempSiblings(dir, writerAlive);
    } catch (err) {
      warn(`could not clean ${dir}: ${(err as Error).message}`);
      return;
    }
    for (const name of removed) warn(`removed ${path.join(dir, name)}, left by a write that a killed process cut short`);
    if (depth < DEPTH) for (const sub of subfolders(dir)) visit(sub, depth + 1);
  };
  for (const kind of WRITTEN_DIRS) visit(layout.dir(kind), 1);
}
