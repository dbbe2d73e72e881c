// A latent's contexts as the feature page receives them, from either encoding: the packed row of
// schema version 5 (context_packs + windows), or the one-row-per-context table of versions 1–4 that
// databases harvested before keep. Old rows are read as they are rather than migrated: they lack the
// window index the new encoding refers to, and rewriting them would narrow their activations to
// float16 and hold a write transaction over the whole file (minutes at 930 MB) on first open. A
// re-harvest replaces them with packs.
import { float32FromBlob, int32FromBlob, uint16FromBlob } from './blobs.js';
import { decodeContextPack } from './context-pack.js';
import type { Db } from './open.js';

export interface ContextView {
  tokens: number[];
  acts: number[];
  maxIndex: number;
  value: number;
}

/** A context and where it belongs: interval null for a top context, else its quantile interval. */
export interface StoredContext {
  interval: number | null;
  context: ContextView;
}

/** The latent's top contexts (strongest first) then its quantile samples, in the order the harvest wrote them. */
export function latentContexts(db: Db, saeId: number, latent: number): StoredContext[] {
  const row = db.prepare(`SELECT pack FROM context_packs WHERE sae_id = ? AND latent = ?`).get(saeId, latent) as { pack: Buffer } | undefined;
  try {
    return row ? packedContexts(db, saeId, row.pack) : rowContexts(db, saeId, latent);
  } catch (err) {
    throw new Error(`the contexts of latent ${latent} of SAE ${saeId} are corrupt (${(err as Error).message}); harvest this SAE again to rewrite them`);
  }
}

function packedContexts(db: Db, saeId: number, pack: Buffer): StoredContext[] {
  const selectWindow = db.prepare(`SELECT token_bytes, tokens FROM windows WHERE sae_id = ? AND window = ?`);
  const windows = new Map<number, ArrayLike<number>>();
  const windowOf = (w: number): ArrayLike<number> => {
    let tokens = windows.get(w);
    if (!tokens) {
      const stored = selectWindow.get(saeId, w) as { token_bytes: number; tokens: Buffer } | undefined;
      if (!stored) throw new Error(`window ${w} it refers to is not in the windows table`);
      tokens = stored.token_bytes === 2 ? uint16FromBlob(stored.tokens, 'windows.tokens') : int32FromBlob(stored.tokens, 'windows.tokens');
      windows.set(w, tokens);
    }
    return tokens;
  };
  return decodeContextPack(pack).map((c) => {
    let tokens: number[];
    if (c.source) {
      const window = windowOf(c.source.window);
      const end = c.source.offset + c.acts.length;
      if (end > window.length) throw new Error(`a context reaches token ${end} of window ${c.source.window}, which has ${window.length}`);
      tokens = Array.from({ length: c.acts.length }, (_, i) => window[c.source!.offset + i]);
    } else {
      tokens = Array.from(c.tokens!);
    }
    return { interval: c.interval, context: { tokens, acts: Array.from(c.acts), maxIndex: c.maxIndex, value: c.value } };
  });
}

function rowContexts(db: Db, saeId: number, latent: number): StoredContext[] {
  type ContextRow = { kind: string; interval: number | null; tokens: Buffer; acts: Buffer; max_index: number; value: number };
  const rows = db
    .prepare(`SELECT kind, interval, tokens, acts, max_index, value FROM contexts WHERE sae_id = ? AND latent = ? ORDER BY kind DESC, rank`)
    .all(saeId, latent) as ContextRow[];
  return rows
    .filter((row) => row.kind === 'top' || row.interval !== null)
    .map((row) => ({
    interval: row.kind === 'top' ? null : row.interval,
    context: {
      tokens: Array.from(int32FromBlob(row.tokens, 'contexts.tokens')),
      acts: Array.from(float32FromBlob(row.acts, 'contexts.acts')),
      maxIndex: row.max_index,
      value: row.value,
    },
  }));
}
