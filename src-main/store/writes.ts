// Everything that writes the feature database. Each function is one transaction, so a process killed
// at any instant leaves the database at the end of some earlier call: a harvest's rows appear chunk
// by chunk under a 'running' harvest row that turns 'complete' only with its last chunk.
import type { MapBasis } from '../../src-shared/api.js';
import type { CapturedContext } from '../features/context-slots.js';
import { toBlob } from './blobs.js';
import { encodeContextPack, type PackedContext } from './context-pack.js';
import type { Db } from './open.js';
import type { CounterpartRecord, FamilyRecord, HarvestRecord, HarvestWindows, LatentRecord, LogitRecord, NeighbourRecord, SaeRecord, UmapRecord } from './records.js';

export function registerModel(db: Db, model: { name: string; nLayer?: number; dModel?: number; vocabSize?: number }): number {
  const row = db
    .prepare(
      `INSERT INTO models (name, n_layer, d_model, vocab_size) VALUES (?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET n_layer = excluded.n_layer, d_model = excluded.d_model, vocab_size = excluded.vocab_size
       RETURNING id`,
    )
    .get(model.name, model.nLayer ?? null, model.dModel ?? null, model.vocabSize ?? null) as { id: number };
  return row.id;
}

export function registerDataset(db: Db, spec: string): number {
  const row = db.prepare(`INSERT INTO datasets (spec) VALUES (?) ON CONFLICT(spec) DO UPDATE SET spec = excluded.spec RETURNING id`).get(spec) as { id: number };
  return row.id;
}

export function registerFamily(db: Db, family: FamilyRecord): number {
  const row = db
    .prepare(
      `INSERT INTO sae_families (path, name, model_id, hook_name, kind) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(path) DO UPDATE SET name = excluded.name, model_id = excluded.model_id, hook_name = excluded.hook_name, kind = excluded.kind
       RETURNING id`,
    )
    .get(family.path, family.name, family.modelId, family.hookName, family.kind ?? 'sizes') as { id: number };
  return row.id;
}

export function registerSae(db: Db, sae: SaeRecord): number {
  const row = db
    .prepare(
      `INSERT INTO saes (path, family_id, model_id, hook_name, architecture, d_in, d_sae, k) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(path) DO UPDATE SET family_id = excluded.family_id, model_id = excluded.model_id, hook_name = excluded.hook_name,
         architecture = excluded.architecture, d_in = excluded.d_in, d_sae = excluded.d_sae, k = excluded.k
       RETURNING id`,
    )
    .get(sae.path, sae.familyId ?? null, sae.modelId, sae.hookName, sae.architecture, sae.dIn, sae.dSae, sae.k ?? null) as { id: number };
  return row.id;
}

export interface HarvestState {
  status: 'running' | 'complete';
  datasetId: number;
  tokens: number;
  topN: number;
  params: Record<string, unknown>;
}

export function harvestState(db: Db, saeId: number): HarvestState | undefined {
  const row = db.prepare(`SELECT status, dataset_id, tokens, top_n, params FROM harvests WHERE sae_id = ?`).get(saeId) as
    | { status: 'running' | 'complete'; dataset_id: number; tokens: number; top_n: number; params: string }
    | undefined;
  if (!row) return undefined;
  return { status: row.status, datasetId: row.dataset_id, tokens: row.tokens, topN: row.top_n, params: JSON.parse(row.params) as Record<string, unknown> };
}

/** True when the SAE already has a complete harvest with exactly these settings (a rerun can skip it). */
export function harvestMatches(db: Db, saeId: number, harvest: HarvestRecord): boolean {
  const state = harvestState(db, saeId);
  return (
    state?.status === 'complete' &&
    state.datasetId === harvest.datasetId &&
    state.tokens === harvest.tokens &&
    state.topN === harvest.topN &&
    JSON.stringify(state.params) === JSON.stringify(harvest.params)
  );
}

/** Drops every derived row of the SAE (including neighbour links pointing at it) and marks a new harvest running. */
export function beginHarvest(db: Db, saeId: number, harvest: HarvestRecord): void {
  db.transaction(() => {
    for (const table of ['contexts', 'context_packs', 'windows', 'act_histograms', 'logit_effects', 'logit_histograms', 'activation_profiles', 'map_points', 'latents', 'harvests']) {
      db.prepare(`DELETE FROM ${table} WHERE sae_id = ?`).run(saeId);
    }
    db.prepare(`DELETE FROM neighbours WHERE sae_id = ? OR other_sae_id = ?`).run(saeId, saeId);
    db.prepare(`INSERT INTO harvests (sae_id, dataset_id, tokens, top_n, params, status) VALUES (?, ?, ?, ?, ?, 'running')`).run(
      saeId,
      harvest.datasetId,
      harvest.tokens,
      harvest.topN,
      JSON.stringify(harvest.params),
    );
  })();
}

/**
 * Writes a chunk of latents: statistics, histogram, and all contexts packed into one row per latent
 * (store/context-pack.ts). With the harvest's `windows`, each context refers to its window, stored
 * once per SAE in `windows`; without them each context carries its own tokens.
 */
export function writeLatents(db: Db, saeId: number, records: LatentRecord[], windows?: HarvestWindows): void {
  const latent = db.prepare(`INSERT INTO latents (sae_id, latent, density, mean_act, max_act, top_tokens) VALUES (?, ?, ?, ?, ?, ?)`);
  const histogram = db.prepare(`INSERT INTO act_histograms (sae_id, latent, log_lo, log_hi, counts) VALUES (?, ?, ?, ?, ?)`);
  const pack = db.prepare(`INSERT INTO context_packs (sae_id, latent, pack) VALUES (?, ?, ?)`);
  const window = db.prepare(`INSERT OR IGNORE INTO windows (sae_id, window, token_bytes, tokens) VALUES (?, ?, ?, ?)`);
  const stored = new Set<number>();
  const packed = (c: CapturedContext, interval: number | null, latentIndex: number): PackedContext => {
    const source = windows ? windowSource(windows, c, `SAE ${saeId} latent ${latentIndex}`) : null;
    if (source && !stored.has(source.window)) {
      const tokens = windowTokens(windows!, source.window);
      window.run(saeId, source.window, tokens.BYTES_PER_ELEMENT, toBlob(tokens));
      stored.add(source.window);
    }
    return { interval, value: c.value, maxIndex: c.maxIndex, acts: c.acts, source, tokens: source ? null : c.tokens };
  };
  db.transaction(() => {
    for (const r of records) {
      latent.run(saeId, r.latent, r.density, r.meanAct, r.maxAct, r.topTokens);
      histogram.run(saeId, r.latent, r.actHistogram.logLo, r.actHistogram.logHi, toBlob(r.actHistogram.counts));
      const contexts = r.top.map((c) => packed(c, null, r.latent));
      for (const group of r.quantiles) for (const c of group.contexts) contexts.push(packed(c, group.interval, r.latent));
      pack.run(saeId, r.latent, encodeContextPack(contexts));
    }
  })();
}

/** Where context `c` sits in its window; it must match the window's tokens there, or the harvest's bookkeeping is wrong. */
function windowSource(windows: HarvestWindows, c: CapturedContext, where: string): { window: number; offset: number } {
  const count = windows.tokens.length / windows.contextSize;
  const offset = 1 + c.position - c.maxIndex;
  const row = Number.isInteger(c.window) && c.window >= 0 && c.window < count ? windows.tokens.subarray(c.window * windows.contextSize, (c.window + 1) * windows.contextSize) : null;
  const matches = row !== null && offset >= 1 && offset + c.tokens.length <= windows.contextSize && c.tokens.every((t, i) => row[offset + i] === t);
  if (!matches) {
    throw new Error(
      `${where}: a context says it is at position ${c.position} of window ${c.window}, but its ${c.tokens.length} tokens are not there ` +
        `(the harvest has ${count} windows of ${windows.contextSize} tokens)`,
    );
  }
  return { window: c.window, offset };
}

/** Window `w` as uint16 when every id fits (GPT-2's vocabulary does), else int32. */
function windowTokens(windows: HarvestWindows, w: number): Uint16Array | Int32Array {
  const row = windows.tokens.subarray(w * windows.contextSize, (w + 1) * windows.contextSize);
  if (row instanceof Uint16Array) return row;
  const values = Array.from(row);
  return values.every((t) => t >= 0 && t <= 0xffff) ? Uint16Array.from(values) : Int32Array.from(values);
}

export function writeLogitEffects(db: Db, saeId: number, records: LogitRecord[]): void {
  const effect = db.prepare(`INSERT OR REPLACE INTO logit_effects (sae_id, latent, sign, rank, token_id, token, value) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const histogram = db.prepare(`INSERT OR REPLACE INTO logit_histograms (sae_id, latent, lo, hi, counts) VALUES (?, ?, ?, ?, ?)`);
  const text = db.prepare(`UPDATE latents SET logit_tokens = ? WHERE sae_id = ? AND latent = ?`);
  db.transaction(() => {
    for (const r of records) {
      text.run(r.positive.map((t) => t.token).join(' '), saeId, r.latent);
      r.positive.forEach((t, rank) => effect.run(saeId, r.latent, 1, rank, t.id, t.token, t.value));
      r.negative.forEach((t, rank) => effect.run(saeId, r.latent, -1, rank, t.id, t.token, t.value));
      histogram.run(saeId, r.latent, r.histogram.lo, r.histogram.hi, toBlob(r.histogram.counts));
    }
  })();
}

/** Replaces the neighbours of every latent of `saeId` among the latents of `otherSaeId`. */
export function writeNeighbours(db: Db, saeId: number, otherSaeId: number, records: NeighbourRecord[]): void {
  const insert = db.prepare(`INSERT INTO neighbours (sae_id, latent, other_sae_id, rank, other_latent, cosine) VALUES (?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    db.prepare(`DELETE FROM neighbours WHERE sae_id = ? AND other_sae_id = ?`).run(saeId, otherSaeId);
    for (const r of records) {
      for (let rank = 0; rank < r.others.length; rank++) insert.run(saeId, r.latent, otherSaeId, rank, r.others[rank], r.cosines[rank]);
    }
  })();
}

export function finishHarvest(db: Db, saeId: number): void {
  db.prepare(`UPDATE harvests SET status = 'complete', finished_at = datetime('now') WHERE sae_id = ?`).run(saeId);
}

/**
 * Replaces the `basis` map of the SAEs `saeIds` with `records` in one transaction: a latent of theirs
 * without a record has no point on that map afterwards. Latents must already exist (a harvest ran).
 */
export function writeUmap(db: Db, basis: MapBasis, saeIds: number[], records: UmapRecord[]): void {
  const exists = db.prepare(`SELECT 1 FROM latents WHERE sae_id = ? AND latent = ?`).pluck();
  const insert = db.prepare(`INSERT INTO map_points (sae_id, basis, latent, x, y, x3, y3, z3) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const owners = new Set(saeIds);
  db.transaction(() => {
    for (const saeId of owners) db.prepare(`DELETE FROM map_points WHERE sae_id = ? AND basis = ?`).run(saeId, basis);
    for (const r of records) {
      if (!owners.has(r.saeId)) throw new Error(`map point of SAE ${r.saeId} latent ${r.latent}: that SAE is not among the map's (${[...owners].join(', ')})`);
      if (!exists.get(r.saeId, r.latent)) throw new Error(`map point of SAE ${r.saeId} latent ${r.latent}: the latent has no harvest row; harvest before the map`);
      insert.run(r.saeId, basis, r.latent, r.x, r.y, r.x3, r.y3, r.z3);
    }
  })();
}

/** Stores the activation profiles ([dSae, dims] row-major) of the latents in `live`, each as `dims` float32; the rest have none. */
export function writeProfiles(db: Db, saeId: number, sums: Float32Array, dims: number, live: Int32Array): void {
  const insert = db.prepare(`INSERT INTO activation_profiles (sae_id, latent, profile) VALUES (?, ?, ?)`);
  db.transaction(() => {
    for (const latent of live) insert.run(saeId, latent, toBlob(sums.subarray(latent * dims, (latent + 1) * dims)));
  })();
}

/**
 * Replaces the counterparts of every latent of `saeId` in `otherSaeId` (one matching run, on `tokens`
 * tokens of the dataset) in one transaction, so a reader sees the old run or the new one, never half.
 */
export function writeCounterparts(db: Db, saeId: number, otherSaeId: number, run: { datasetId: number; tokens: number }, records: CounterpartRecord[]): void {
  const insert = db.prepare(`INSERT INTO counterparts (sae_id, latent, other_sae_id, rank, other_latent, correlation) VALUES (?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    db.prepare(`DELETE FROM counterparts WHERE sae_id = ? AND other_sae_id = ?`).run(saeId, otherSaeId);
    db.prepare(
      `INSERT INTO counterpart_runs (sae_id, other_sae_id, dataset_id, tokens) VALUES (?, ?, ?, ?)
       ON CONFLICT(sae_id, other_sae_id) DO UPDATE SET dataset_id = excluded.dataset_id, tokens = excluded.tokens`,
    ).run(saeId, otherSaeId, run.datasetId, run.tokens);
    for (const r of records) r.others.forEach((other, rank) => insert.run(saeId, r.latent, otherSaeId, rank, other, r.correlations[rank]!));
  })();
}
