// UMAP of a family (or one SAE) from the database, in one of two bases (src-shared MapBasis): the
// decoder rows read from each SAE's folder, or the activation profiles the harvest stored
// (activation-profile.ts). Every size is laid out jointly so the sizes share one map, and the
// basis's coordinates are replaced in one transaction. On the activation basis a latent that never
// fired on the harvest's tokens has no profile, so it is left off that map (the map view counts
// them) rather than placed by its decoder: the two bases' cosines are not on one scale, and a
// point placed by the other basis would sit among latents it has nothing in common with.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadSaeLens } from '../sae/formats/saelens.js';
import type { MapBasis } from '../../src-shared/api.js';
import type { Db } from '../store/open.js';
import { activationProfiles, listSaes, resolveSae, type SaeInfo } from '../store/queries.js';
import { writeUmap } from '../store/writes.js';
import { FAMILY_FILE, familyMembers } from './harvest-inputs.js';
import { MIN_POINTS, umapLayout, type UmapOptions, type UmapProgress } from './umap.js';

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

/** The rows a basis lays out, stacked over the SAEs in order: which (SAE, latent) each row is, and the vectors [rows, d]. */
export interface BasisRows {
  points: Array<{ saeId: number; latents: Int32Array }>;
  vectors: Float32Array;
  d: number;
}

export function decoderRows(saes: SaeInfo[]): BasisRows {
  const dIn = saes[0].dIn;
  const mismatched = saes.find((s) => s.dIn !== dIn);
  if (mismatched) throw new Error(`SAE ${mismatched.path} has d_in ${mismatched.dIn}, but ${saes[0].path} has ${dIn}: a joint map needs one width`);
  const total = saes.reduce((n, s) => n + s.dSae, 0);
  const vectors = new Float32Array(total * dIn); // [total, d_in]
  let offset = 0;
  for (const s of saes) {
    const bundle = loadSaeLens(s.path);
    if (bundle.spec.dSae !== s.dSae || bundle.spec.dIn !== dIn) throw new Error(`${s.path} now has d_sae ${bundle.spec.dSae}, d_in ${bundle.spec.dIn}; the database recorded ${s.dSae}, ${dIn}: harvest it again`);
    vectors.set(bundle.weights.W_dec, offset * dIn);
    offset += s.dSae;
  }
  return { points: saes.map((s) => ({ saeId: s.id, latents: Int32Array.from({ length: s.dSae }, (_, i) => i) })), vectors, d: dIn };
}

export function activationRows(db: Db, saes: SaeInfo[]): BasisRows {
  const profiled = db.prepare(`SELECT json_extract(params, '$.profile') IS NOT NULL FROM harvests WHERE sae_id = ?`).pluck();
  const unprofiled = saes.find((s) => !profiled.get(s.id));
  if (unprofiled) {
    throw new Error(`SAE ${unprofiled.path} was harvested before activation profiles were kept, so it has no activation basis; run sae-explorer harvest again (it redoes such SAEs); the decoder basis needs no profiles`);
  }
  // An SAE none of whose latents fired has no profiles and adds no points.
  const stored = saes.map((s) => ({ sae: s, ...activationProfiles(db, s.id) })).filter((p) => p.latents.length > 0);
  if (stored.length === 0) return { points: [], vectors: new Float32Array(0), d: 1 };
  // A smaller SAE may have more dims; the first d of its rows are a d-dim projection (activation-profile.ts).
  const d = Math.min(...stored.map((p) => p.dims));
  const total = stored.reduce((n, p) => n + p.latents.length, 0);
  const vectors = new Float32Array(total * d); // [live latents, d]
  let offset = 0;
  for (const p of stored) {
    for (let i = 0; i < p.latents.length; i++) vectors.set(p.profiles.subarray(i * p.dims, i * p.dims + d), (offset + i) * d);
    offset += p.latents.length;
  }
  return { points: stored.map((p) => ({ saeId: p.sae.id, latents: p.latents })), vectors, d };
}

export interface UmapRun {
  /** Latents placed on the map. */
  points: number;
  /** Latents of the SAEs left off it: on the activation basis, those that never fired on the profiled tokens. */
  unplaced: number;
}

export async function runUmap(
  db: Db,
  saes: SaeInfo[],
  basis: MapBasis,
  options: Partial<UmapOptions> = {},
  onProgress?: UmapProgress,
  signal?: AbortSignal,
): Promise<UmapRun> {
  const rows = basis === 'decoder' ? decoderRows(saes) : activationRows(db, saes);
  const total = rows.vectors.length / rows.d;
  const latents = saes.reduce((n, s) => n + s.dSae, 0);
  if (basis === 'activation' && total < MIN_POINTS) {
    // Too few latents fired to lay out: the family has no activation map (and loses an older one).
    writeUmap(db, basis, saes.map((s) => s.id), []);
    return { points: 0, unplaced: latents };
  }
  const layout = await umapLayout(rows.vectors, total, rows.d, options, onProgress, signal);
  const records = [];
  let i = 0;
  for (const { saeId, latents } of rows.points) {
    for (const latent of latents) {
      records.push({ saeId, latent, x: layout.xy[2 * i], y: layout.xy[2 * i + 1], x3: layout.xyz[3 * i], y3: layout.xyz[3 * i + 1], z3: layout.xyz[3 * i + 2] });
      i++;
    }
  }
  writeUmap(db, basis, saes.map((s) => s.id), records);
  return { points: total, unplaced: latents - total };
}
