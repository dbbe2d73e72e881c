// UMAP of a family (or one SAE) from the database: decoder rows are read from each SAE's folder,
// laid out jointly so the sizes share one map, and the coordinates written in one transaction.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadSaeLens } from '../sae/formats/saelens.js';
import type { Db } from '../store/open.js';
import { listSaes, resolveSae, type SaeInfo } from '../store/queries.js';
import { writeUmap } from '../store/writes.js';
import { FAMILY_FILE, familyMembers } from './harvest-inputs.js';
import { umapLayout, type UmapOptions, type UmapProgress } from './umap.js';

/** The SAEs a `--family ID|PATH` or `--sae DIR|ID` names, all harvested. */
export function umapTargets(db: Db, target: { family?: string; sae?: string }): SaeInfo[] {
  if (Boolean(target.family) === Boolean(target.sae)) throw new Error('umap needs exactly one of --family ID and --sae DIR');
  let saes: SaeInfo[];
  if (target.family) {
    const row = (/^\d+$/.test(target.family)
      ? db.prepare(`SELECT id, path FROM sae_families WHERE id = ?`).get(Number(target.family))
      : db.prepare(`SELECT id, path FROM sae_families WHERE path = ? OR name = ?`).get(path.resolve(target.family), target.family)) as { id: number; path: string } | undefined;
    if (!row) {
      const known = (db.prepare(`SELECT id, name FROM sae_families ORDER BY id`).all() as Array<{ id: number; name: string }>).map((f) => `${f.id} (${f.name})`);
      throw new Error(`family "${target.family}" is not in the database; families: ${known.join(', ') || 'none — harvest a family folder first'}`);
    }
    saes = listSaes(db, row.id);
    // A size never harvested is not in the database at all; the family's own list says it exists.
    if (existsSync(path.join(row.path, FAMILY_FILE))) {
      const known = new Set(saes.map((s) => s.path));
      const missing = familyMembers(row.path).filter((dir) => !known.has(dir));
      if (missing.length > 0) throw new Error(`SAE ${missing.join(', ')} has no complete harvest; run sae-explorer harvest first`);
    }
  } else {
    saes = [resolveSae(db, target.sae!)];
  }
  const unharvested = saes.filter((s) => s.harvest !== 'complete');
  if (unharvested.length > 0) throw new Error(`SAE ${unharvested.map((s) => s.path).join(', ')} has no complete harvest; run sae-explorer harvest first`);
  return saes;
}

export async function runUmap(db: Db, saes: SaeInfo[], options: Partial<UmapOptions> = {}, onProgress?: UmapProgress, signal?: AbortSignal): Promise<{ points: number }> {
  const dIn = saes[0].dIn;
  const mismatched = saes.find((s) => s.dIn !== dIn);
  if (mismatched) throw new Error(`SAE ${mismatched.path} has d_in ${mismatched.dIn}, but ${saes[0].path} has ${dIn}: a joint map needs one width`);
  const total = saes.reduce((n, s) => n + s.dSae, 0);
  const vectors = new Float32Array(total * dIn);
  let offset = 0;
  for (const s of saes) {
    const bundle = loadSaeLens(s.path);
    if (bundle.spec.dSae !== s.dSae || bundle.spec.dIn !== dIn) throw new Error(`${s.path} now has d_sae ${bundle.spec.dSae}, d_in ${bundle.spec.dIn}; the database recorded ${s.dSae}, ${dIn}: harvest it again`);
    vectors.set(bundle.weights.W_dec, offset * dIn);
    offset += s.dSae;
  }
  const layout = await umapLayout(vectors, total, dIn, options, onProgress, signal);
  const records = [];
  offset = 0;
  for (const s of saes) {
    for (let latent = 0; latent < s.dSae; latent++) {
      const i = offset + latent;
      records.push({ saeId: s.id, latent, x: layout.xy[2 * i], y: layout.xy[2 * i + 1], x3: layout.xyz[3 * i], y3: layout.xyz[3 * i + 1], z3: layout.xyz[3 * i + 2] });
    }
    offset += s.dSae;
  }
  writeUmap(db, records);
  return { points: total };
}
