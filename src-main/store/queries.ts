// Read queries for the app and the CLI: one feature page, the latent list, the family map, search.
// Each is a handful of indexed lookups, so a page stays well under the 50 ms budget on 65k latents.
import path from 'node:path';
import type { MapBasis } from '../../src-shared/api.js';
import { float32FromBlob, uint32FromBlob } from './blobs.js';
import { latentContexts, type ContextView } from './contexts.js';
import type { Db } from './open.js';
import type { LogitToken } from './records.js';

export interface SaeInfo {
  id: number;
  path: string;
  familyId: number | null;
  hookName: string;
  architecture: string;
  dIn: number;
  dSae: number;
  k: number | null;
  harvest: 'running' | 'complete' | null;
}

export type { ContextView };

export interface NeighbourView {
  saeId: number;
  dSae: number;
  latent: number;
  cosine: number;
}

export interface FeaturePage {
  sae: SaeInfo;
  latent: number;
  density: number;
  meanAct: number;
  maxAct: number;
  top: ContextView[];
  quantiles: Array<{ interval: number; lo: number; hi: number; contexts: ContextView[] }>;
  actHistogram: { logLo: number; logHi: number; counts: number[] } | null;
  logitHistogram: { lo: number; hi: number; counts: number[] } | null;
  logitsPos: LogitToken[];
  logitsNeg: LogitToken[];
  /** Decoder-cosine neighbours in the same SAE. */
  neighbours: NeighbourView[];
  /** Closest latents in each other SAE of the family (feature splitting: parents and children). */
  relatives: NeighbourView[];
  umap: { x: number; y: number } | null;
  umap3: { x: number; y: number; z: number } | null;
}

const SAE_COLUMNS = `s.id, s.path, s.family_id AS familyId, s.hook_name AS hookName, s.architecture, s.d_in AS dIn, s.d_sae AS dSae, s.k,
  h.status AS harvest`;

/** The name the SAE's model was harvested under (a folder's absolute path, or a Hub name); null when none was recorded. */
export function saeModelName(db: Db, saeId: number): string | null {
  const row = db.prepare(`SELECT m.name FROM saes s JOIN models m ON m.id = s.model_id WHERE s.id = ?`).get(saeId) as { name: string } | undefined;
  return row?.name ?? null;
}

export function saeInfo(db: Db, saeId: number): SaeInfo {
  const row = db.prepare(`SELECT ${SAE_COLUMNS} FROM saes s LEFT JOIN harvests h ON h.sae_id = s.id WHERE s.id = ?`).get(saeId) as SaeInfo | undefined;
  if (!row) throw new Error(`no SAE with id ${saeId} in the database`);
  return row;
}

/** An SAE by numeric id or by folder path (as given to harvest). */
export function resolveSae(db: Db, dirOrId: string): SaeInfo {
  if (/^\d+$/.test(dirOrId)) return saeInfo(db, Number(dirOrId));
  const row = db.prepare(`SELECT id FROM saes WHERE path = ?`).get(path.resolve(dirOrId)) as { id: number } | undefined;
  if (!row) {
    const known = (db.prepare(`SELECT id, path FROM saes ORDER BY id`).all() as Array<{ id: number; path: string }>).map((s) => `${s.id} (${s.path})`);
    throw new Error(`SAE "${dirOrId}" is not in the database; harvested SAEs: ${known.join(', ') || 'none — run sae-explorer harvest first'}`);
  }
  return saeInfo(db, row.id);
}

export function listSaes(db: Db, familyId?: number): SaeInfo[] {
  const where = familyId === undefined ? '' : 'WHERE s.family_id = ?';
  const args = familyId === undefined ? [] : [familyId];
  return db.prepare(`SELECT ${SAE_COLUMNS} FROM saes s LEFT JOIN harvests h ON h.sae_id = s.id ${where} ORDER BY s.d_sae, s.id`).all(...args) as SaeInfo[];
}

export function featurePage(db: Db, saeId: number, latent: number): FeaturePage {
  const sae = saeInfo(db, saeId);
  if (!Number.isInteger(latent) || latent < 0 || latent >= sae.dSae) throw new Error(`latent ${latent} is out of range: SAE ${saeId} has latents 0..${sae.dSae - 1}`);
  const row = db
    .prepare(`SELECT density, mean_act, max_act FROM latents WHERE sae_id = ? AND latent = ?`)
    .get(saeId, latent) as { density: number; mean_act: number; max_act: number } | undefined;
  if (!row) throw new Error(`latent ${latent} of SAE ${saeId} has no statistics yet: harvest ${sae.path} first`);

  const contexts = latentContexts(db, saeId, latent);
  const params = db.prepare(`SELECT params FROM harvests WHERE sae_id = ?`).get(saeId) as { params: string } | undefined;
  const intervals = Number((JSON.parse(params?.params ?? '{}') as { intervals?: number }).intervals ?? 0);
  const quantiles = Array.from({ length: intervals }, (_, i) => ({
    interval: i,
    lo: (row.max_act * i) / intervals,
    hi: (row.max_act * (i + 1)) / intervals,
    contexts: [] as ContextView[],
  }));
  const top: ContextView[] = [];
  for (const { interval, context } of contexts) {
    if (interval === null) top.push(context);
    else quantiles[interval]?.contexts.push(context);
  }

  const act = db.prepare(`SELECT log_lo, log_hi, counts FROM act_histograms WHERE sae_id = ? AND latent = ?`).get(saeId, latent) as
    | { log_lo: number; log_hi: number; counts: Buffer }
    | undefined;
  const logitHist = db.prepare(`SELECT lo, hi, counts FROM logit_histograms WHERE sae_id = ? AND latent = ?`).get(saeId, latent) as
    | { lo: number; hi: number; counts: Buffer }
    | undefined;
  const logits = db
    .prepare(`SELECT sign, token_id AS id, token, value FROM logit_effects WHERE sae_id = ? AND latent = ? ORDER BY sign DESC, rank`)
    .all(saeId, latent) as Array<LogitToken & { sign: number }>;
  const links = db
    .prepare(
      `SELECT n.other_sae_id AS saeId, s.d_sae AS dSae, n.other_latent AS latent, n.cosine FROM neighbours n JOIN saes s ON s.id = n.other_sae_id
       WHERE n.sae_id = ? AND n.latent = ? ORDER BY s.d_sae, n.rank`,
    )
    .all(saeId, latent) as NeighbourView[];

  // The feature page places the latent on the decoder map, which every family's UMAP computes.
  const point = db.prepare(`SELECT x, y, x3, y3, z3 FROM map_points WHERE sae_id = ? AND basis = 'decoder' AND latent = ?`).get(saeId, latent) as
    | { x: number; y: number; x3: number | null; y3: number | null; z3: number | null }
    | undefined;
  return {
    sae,
    latent,
    density: row.density,
    meanAct: row.mean_act,
    maxAct: row.max_act,
    top,
    quantiles,
    actHistogram: act ? { logLo: act.log_lo, logHi: act.log_hi, counts: Array.from(uint32FromBlob(act.counts, 'act_histograms.counts')) } : null,
    logitHistogram: logitHist ? { lo: logitHist.lo, hi: logitHist.hi, counts: Array.from(uint32FromBlob(logitHist.counts, 'logit_histograms.counts')) } : null,
    logitsPos: logits.filter((l) => l.sign > 0).map(({ id, token, value }) => ({ id, token, value })),
    logitsNeg: logits.filter((l) => l.sign < 0).map(({ id, token, value }) => ({ id, token, value })),
    neighbours: links.filter((n) => n.saeId === saeId),
    relatives: links.filter((n) => n.saeId !== saeId),
    umap: point ? { x: point.x, y: point.y } : null,
    umap3: point && point.x3 !== null && point.y3 !== null && point.z3 !== null ? { x: point.x3, y: point.y3, z: point.z3 } : null,
  };
}

export interface LatentListQuery {
  saeId: number;
  sort?: 'latent' | 'density' | 'max_act';
  descending?: boolean;
  minDensity?: number;
  maxDensity?: number;
  /** Substring of the top tokens' text (case-insensitive). */
  tokenText?: string;
  limit?: number;
  offset?: number;
}

export interface LatentRow {
  latent: number;
  density: number;
  maxAct: number;
  meanAct: number;
  topTokens: string;
}

const SORTS = { latent: 'latent', density: 'density', max_act: 'max_act' } as const;

export function listLatents(db: Db, query: LatentListQuery): { total: number; rows: LatentRow[] } {
  const sort = SORTS[query.sort ?? 'latent'];
  if (!sort) throw new Error(`unknown sort "${query.sort}": expected one of ${Object.keys(SORTS).join(', ')}`);
  const where = ['sae_id = ?'];
  const args: Array<number | string> = [query.saeId];
  if (query.minDensity !== undefined) (where.push('density >= ?'), args.push(query.minDensity));
  if (query.maxDensity !== undefined) (where.push('density <= ?'), args.push(query.maxDensity));
  if (query.tokenText) {
    const indexed = textIndexPhrase(query.tokenText);
    if (indexed) {
      // This SAE's rows of the index are the rowid range [sae_id·2^32, (sae_id+1)·2^32), which FTS5 seeks.
      const first = query.saeId * 2 ** 32;
      where.push(`latent IN (SELECT rowid - ? FROM latent_text WHERE latent_text MATCH ? AND rowid BETWEEN ? AND ?)`);
      args.push(first, `top_tokens : ${indexed}`, first, first + 2 ** 32 - 1);
    }
    where.push(`top_tokens LIKE ? ESCAPE '\\'`);
    args.push(`%${escapeLike(query.tokenText)}%`);
  }
  const clause = where.join(' AND ');
  // With the text index's few candidates, sorting them beats walking the sort's index over every
  // latent of the SAE (the unary + keeps SQLite from choosing that index).
  const order = query.tokenText && textIndexPhrase(query.tokenText) ? `+${sort}` : sort;
  const total = (db.prepare(`SELECT count(*) AS n FROM latents WHERE ${clause}`).get(...args) as { n: number }).n;
  const direction = query.descending ? 'DESC' : 'ASC';
  // The page's latents first, from the sort's covering index alone, then their rows: on a WITHOUT
  // ROWID table SQLite looks up the table row of every row an OFFSET skips (no deferred seek), so a
  // deep page of a 262k-latent SAE cost tens of thousands of lookups. CROSS JOIN keeps the page as the
  // outer loop: with a text filter SQLite otherwise scanned the SAE's latents and the page for each.
  const rows = db
    .prepare(
      `SELECT l.latent, l.density, l.max_act AS maxAct, l.mean_act AS meanAct, l.top_tokens AS topTokens
       FROM (SELECT latent FROM latents WHERE ${clause} ORDER BY ${order} ${direction}, latent LIMIT ? OFFSET ?) page
       CROSS JOIN latents l ON l.sae_id = ? AND l.latent = page.latent ORDER BY l.${sort} ${direction}, l.latent`,
    )
    .all(...args, query.limit ?? 100, query.offset ?? 0, query.saeId) as LatentRow[];
  return { total, rows };
}

export interface FamilyMap {
  saes: Array<{ id: number; dSae: number }>;
  /** One entry per latent with coordinates, in SAE then latent order. */
  saeIndex: Int32Array;
  latent: Int32Array;
  density: Float32Array;
  xy: Float32Array;
  xyz: Float32Array;
}

type MapTarget = { familyId: number } | { saeId: number };

function mapSaes(db: Db, target: MapTarget): Array<{ id: number; dSae: number }> {
  return 'familyId' in target
    ? (db.prepare(`SELECT id, d_sae AS dSae FROM saes WHERE family_id = ? ORDER BY d_sae, id`).all(target.familyId) as Array<{ id: number; dSae: number }>)
    : [{ id: target.saeId, dSae: saeInfo(db, target.saeId).dSae }];
}

/** The bases the family (or SAE) has map points in, decoder first. */
export function mapBases(db: Db, target: MapTarget): MapBasis[] {
  const has = db.prepare(`SELECT 1 FROM map_points WHERE sae_id = ? AND basis = ? LIMIT 1`).pluck();
  const saes = mapSaes(db, target);
  return (['decoder', 'activation'] as const).filter((basis) => saes.some((s) => has.get(s.id, basis)));
}

/** Map data in `basis` for all latents with a point there, of one family (or one SAE that has no family). */
export function mapData(db: Db, target: MapTarget, basis: MapBasis): FamilyMap {
  const saes = mapSaes(db, target);
  // Straight into typed arrays from raw rows: at 344k latents, an object per row and a second pass
  // cost seconds.
  const counted = db.prepare(`SELECT count(*) AS n FROM map_points WHERE sae_id = ? AND basis = ?`);
  const n = saes.reduce((sum, s) => sum + (counted.get(s.id, basis) as { n: number }).n, 0);
  const map: FamilyMap = {
    saes,
    saeIndex: new Int32Array(n),
    latent: new Int32Array(n),
    density: new Float32Array(n),
    xy: new Float32Array(2 * n),
    xyz: new Float32Array(3 * n),
  };
  const select = db
    .prepare(
      `SELECT p.latent, l.density, p.x, p.y, p.x3, p.y3, p.z3 FROM map_points p JOIN latents l ON l.sae_id = p.sae_id AND l.latent = p.latent
       WHERE p.sae_id = ? AND p.basis = ? ORDER BY p.latent`,
    )
    .raw(true);
  let i = 0;
  saes.forEach((s, index) => {
    for (const [latent, density, x, y, x3, y3, z3] of select.iterate(s.id, basis) as Iterable<[number, number, number, number, number | null, number | null, number | null]>) {
      map.saeIndex[i] = index;
      map.latent[i] = latent;
      map.density[i] = density;
      map.xy[2 * i] = x;
      map.xy[2 * i + 1] = y;
      map.xyz[3 * i] = x3 ?? 0;
      map.xyz[3 * i + 1] = y3 ?? 0;
      map.xyz[3 * i + 2] = z3 ?? 0;
      i++;
    }
  });
  return map;
}

/** The activation profiles the harvest stored for `saeId`: the latents that fired, ascending, and their profiles [latents, dims]. */
export function activationProfiles(db: Db, saeId: number): { latents: Int32Array; dims: number; profiles: Float32Array } {
  const rows = db.prepare(`SELECT latent, profile FROM activation_profiles WHERE sae_id = ? ORDER BY latent`).raw(true).all(saeId) as Array<[number, Buffer]>;
  const dims = rows.length > 0 ? rows[0]![1].byteLength / 4 : 0;
  const profiles = new Float32Array(rows.length * dims);
  const latents = new Int32Array(rows.length);
  rows.forEach(([latent, blob], i) => {
    const profile = float32FromBlob(blob, 'activation_profiles.profile');
    if (profile.length !== dims) throw new Error(`activation profile of SAE ${saeId} latent ${latent} has ${profile.length} dims, latent ${latents[0]} has ${dims}: harvest the SAE again`);
    latents[i] = latent;
    profiles.set(profile, i * dims);
  });
  return { latents, dims, profiles };
}

export interface SearchHit {
  saeId: number;
  latent: number;
  /** Where the text matched: the top-context tokens or the promoted/suppressed logit tokens. */
  matched: 'top_tokens' | 'logits';
  density: number;
  maxAct: number;
}

/** Latents whose top tokens or promoted logit tokens contain `text` (ASCII case-insensitive), strongest first. */
export function searchLatents(db: Db, text: string, scope: { saeIds?: number[]; limit?: number } = {}): SearchHit[] {
  if (!text) return [];
  const like = `%${escapeLike(text)}%`;
  const ids = scope.saeIds ?? [];
  if (!ids.every(Number.isInteger)) throw new Error(`search saeIds must be integer ids, got ${JSON.stringify(ids)}`);
  const saeFilter = ids.length ? `AND sae_id IN (${ids.join(',')})` : '';
  const limit = scope.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`search limit must be a positive integer, got ${limit}`);
  const phrase = textIndexPhrase(text);
  const candidates = phrase ? `AND (sae_id, latent) IN (SELECT rowid >> 32, rowid & 4294967295 FROM latent_text WHERE latent_text MATCH @phrase)` : '';
  return db
    .prepare(
      `SELECT sae_id AS saeId, latent, CASE WHEN top_tokens LIKE @like ESCAPE '\\' THEN 'top_tokens' ELSE 'logits' END AS matched,
         density, max_act AS maxAct
       FROM latents WHERE (top_tokens LIKE @like ESCAPE '\\' OR logit_tokens LIKE @like ESCAPE '\\') ${saeFilter} ${candidates}
       ORDER BY max_act DESC LIMIT ${limit}`,
    )
    .all(phrase ? { like, phrase } : { like }) as SearchHit[];
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * `text` as an FTS5 phrase for the trigram index (latent_text, schema version 6), or undefined when
 * the text is too short to have a trigram: then the LIKE alone scans. The index only narrows the
 * candidates; the LIKE beside it keeps the match exactly what it was (the index folds case more widely).
 */
function textIndexPhrase(text: string): string | undefined {
  return [...text].length >= 3 ? `"${text.replace(/"/g, '""')}"` : undefined;
}

export interface CounterpartView {
  saeId: number;
  latent: number;
  correlation: number;
}

/** The matched counterparts of one latent in `otherSaeId`, best first; empty when that pair was never matched. */
export function counterparts(db: Db, saeId: number, latent: number, otherSaeId: number): CounterpartView[] {
  return db
    .prepare(`SELECT other_sae_id AS saeId, other_latent AS latent, correlation FROM counterparts WHERE sae_id = ? AND latent = ? AND other_sae_id = ? ORDER BY rank`)
    .all(saeId, latent, otherSaeId) as CounterpartView[];
}

export interface MatchSummary {
  /** Tokens the correlations were measured on. */
  tokens: number;
  /** Latents of the SAE whose best counterpart in the other reaches the threshold, over all its latents. */
  matched: number;
  latents: number;
}

/** How many latents of `saeId` have a counterpart in `otherSaeId` at or above `threshold`; null when never matched. */
export function matchSummary(db: Db, saeId: number, otherSaeId: number, threshold: number): MatchSummary | null {
  const run = db.prepare(`SELECT tokens FROM counterpart_runs WHERE sae_id = ? AND other_sae_id = ?`).get(saeId, otherSaeId) as { tokens: number } | undefined;
  if (!run) return null;
  const row = db
    .prepare(`SELECT count(*) AS latents, coalesce(sum(correlation >= ?), 0) AS matched FROM counterparts WHERE sae_id = ? AND other_sae_id = ? AND rank = 0`)
    .get(threshold, saeId, otherSaeId) as { latents: number; matched: number };
  return { tokens: run.tokens, matched: row.matched, latents: row.latents };
}
