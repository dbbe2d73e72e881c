// A workspace that was moved or copied keeps its feature database, whose SAEs and families are keyed
// by the absolute folder paths they were harvested from. Opened in its new place, the database would
// say every SAE "has no harvest" (moved), or serve the original workspace's folders (copied).
// Relocation re-keys, in one transaction, each stored path outside this workspace's saes/ to the same
// saes/<family>[/<size>] folder here, when that folder exists (for an SAE, with the same d_sae in its
// cfg.json) and no other row already holds it. Paths with no counterpart here (a CLI harvest of some
// other folder) are left alone.
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './open.js';

/**
 * Where `stored` would be under `saesRoot`: its part after a "saes" folder (one segment for a family
 * or a lone SAE, two for a family's member), the rightmost such part that exists; null when none does.
 * (A family may itself be called "saes", hence not simply the last one.)
 */
function counterpart(stored: string, saesRoot: string): string | null {
  const parts = stored.split(/[\\/]/);
  for (let at = parts.length - 2; at >= Math.max(0, parts.length - 3); at--) {
    if (parts[at] !== 'saes') continue;
    const target = path.join(saesRoot, ...parts.slice(at + 1));
    if (fs.existsSync(target)) return target;
  }
  return null;
}

function cfgDSae(folder: string): number | null {
  try {
    const cfg = JSON.parse(fs.readFileSync(path.join(folder, 'cfg.json'), 'utf8')) as { d_sae?: unknown };
    return typeof cfg.d_sae === 'number' ? cfg.d_sae : null;
  } catch {
    return null;
  }
}

/** Re-keys SAE and family paths from elsewhere to `saesRoot` (the workspace's saes/ folder); returns how many rows moved. */
export function relocateSaePaths(db: Db, saesRoot: string): number {
  const root = path.resolve(saesRoot) + path.sep;
  let moved = 0;
  db.transaction(() => {
    for (const table of ['saes', 'sae_families'] as const) {
      const rows = db.prepare(`SELECT * FROM ${table}`).all() as Array<{ id: number; path: string; d_sae?: number }>;
      const taken = new Set(rows.map((row) => row.path));
      const update = db.prepare(`UPDATE ${table} SET path = ? WHERE id = ?`);
      for (const row of rows) {
        if (row.path.startsWith(root)) continue;
        const target = counterpart(row.path, saesRoot);
        if (!target || taken.has(target)) continue;
        if (row.d_sae !== undefined && cfgDSae(target) !== row.d_sae) continue;
        update.run(target, row.id);
        taken.delete(row.path);
        taken.add(target);
        moved++;
      }
    }
  })();
  return moved;
}
