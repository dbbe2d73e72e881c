// Feature browsing requests, answered from the workspace's feature database (src-main/store).
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import { encodeFeatureMap } from '../../../src-shared/feature-map.js';
import type { FeatureId, FeatureListParams, FeatureMapParams, FeatureSearchParams } from '../../../src-shared/api.js';
import type { Db } from '../../store/open.js';
import { TRAIN_LIMITS } from '../../train/limits.js';
import type { SaeInfo } from '../../store/queries.js';
import type { DomainHandlers, HandlerContext } from '../handler.js';
import { ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { featurePageView, featureSummary, pathsById, saeIdOf } from './feature-views.js';
import { requireDatabase, requireFamily, requireModel, requireSae } from './lookup.js';

/** Latent indices and list offsets stay below the largest dictionary a run may train. */
const MAX_LATENT = TRAIN_LIMITS.latents;

async function openDb(ctx: HandlerContext, method: string): Promise<Db> {
  return ctx.resources.database(requireDatabase(ctx.workspace, method));
}

/** The stored SAE for a contract SAE id; not_found when it was never harvested into the database. */
async function storedSae(db: Db, folder: string, method: string, id: string): Promise<SaeInfo> {
  const { resolveSae } = await import('../../store/queries.js');
  try {
    return resolveSae(db, folder);
  } catch (err) {
    throw new ApiError('not_found', `${method}: SAE "${id}" has no harvest in the feature database: ${(err as Error).message}`);
  }
}

export const featureHandlers: DomainHandlers<'features'> = {
  'features.list': async (params, ctx) => {
    const p = readParams<FeatureListParams>('features.list', params, {
      model: { type: 'string', ...ENTRY_NAME },
      sae: { type: 'string', ...SAE_ID },
      sort: { type: 'enum', optional: true, values: ['index', 'density', 'max_act'] },
      descending: { type: 'boolean', optional: true },
      tokenFilter: { type: 'string', optional: true, maxLength: 200 },
      offset: { type: 'integer', optional: true, min: 0, max: MAX_LATENT },
      limit: { type: 'integer', optional: true, min: 1, max: 1000 },
    });
    requireModel(ctx.workspace, 'features.list', p.model);
    const folder = requireSae(ctx.workspace, 'features.list', p.sae);
    const db = await openDb(ctx, 'features.list');
    const sae = await storedSae(db, folder, 'features.list', p.sae);
    const { listLatents } = await import('../../store/queries.js');
    const sort = p.sort ?? 'index';
    const page = listLatents(db, {
      saeId: sae.id,
      sort: sort === 'index' ? 'latent' : sort,
      descending: p.descending ?? sort !== 'index',
      tokenText: p.tokenFilter,
      offset: p.offset ?? 0,
      limit: p.limit ?? 100,
    });
    return { total: page.total, rows: page.rows.map(featureSummary) };
  },

  'features.page': async (params, ctx) => {
    const p = readParams<FeatureId>('features.page', params, {
      model: { type: 'string', ...ENTRY_NAME },
      sae: { type: 'string', ...SAE_ID },
      latent: { type: 'integer', min: 0, max: MAX_LATENT },
    });
    const modelFolder = requireModel(ctx.workspace, 'features.page', p.model);
    const folder = requireSae(ctx.workspace, 'features.page', p.sae);
    const db = await openDb(ctx, 'features.page');
    const sae = await storedSae(db, folder, 'features.page', p.sae);
    if (p.latent >= sae.dSae) throw new ApiError('not_found', `features.page: latent ${p.latent} is out of range; SAE "${p.sae}" has latents 0..${sae.dSae - 1}`);
    const { featurePage, listSaes } = await import('../../store/queries.js');
    let page;
    try {
      page = featurePage(db, sae.id, p.latent);
    } catch (err) {
      throw new ApiError('not_found', `features.page: ${(err as Error).message}`);
    }
    const tokenizer = await ctx.resources.tokenizer(modelFolder);
    const paths = pathsById(listSaes(db));
    return featurePageView(ctx.workspace, p, page, paths, (id) => tokenizer.displayToken(id));
  },

  'features.map': async (params, ctx) => {
    const p = readParams<FeatureMapParams>('features.map', params, {
      model: { type: 'string', ...ENTRY_NAME },
      family: { type: 'string', ...ENTRY_NAME },
      basis: { type: 'enum', optional: true, values: ['decoder', 'activation'] },
    });
    requireModel(ctx.workspace, 'features.map', p.model);
    const familyFolder = requireFamily(ctx.workspace, 'features.map', p.family);
    const db = await openDb(ctx, 'features.map');
    const row = db.prepare(`SELECT id FROM sae_families WHERE path = ?`).get(path.resolve(familyFolder)) as { id: number } | undefined;
    if (!row) throw new ApiError('not_found', `features.map: family "${p.family}" has no harvest in the feature database; run a harvest first`);
    const { listSaes, mapBases, mapData } = await import('../../store/queries.js');
    const paths = pathsById(listSaes(db, row.id));
    const bases = mapBases(db, { familyId: row.id });
    const basis = p.basis ?? bases[0] ?? 'decoder';
    if (p.basis && !bases.includes(p.basis)) {
      throw new ApiError('not_found', `features.map: family "${p.family}" has no ${p.basis} map (it has: ${bases.join(', ') || 'none'}); run sae-explorer umap --basis ${p.basis}`);
    }
    const map = mapData(db, { familyId: row.id }, basis);
    const n = map.latent.length;
    const column = (axis: number) => Float32Array.from({ length: n }, (_, i) => map.xyz[3 * i + axis]!);
    return encodeFeatureMap({
      family: p.family,
      basis,
      bases,
      saes: map.saes.map((s) => saeIdOf(ctx.workspace, paths.get(s.id) ?? String(s.id))),
      sizes: map.saes.map((s) => s.dSae),
      sae: Uint16Array.from(map.saeIndex),
      latent: map.latent,
      x: column(0),
      y: column(1),
      z: column(2),
    });
  },

  'features.search': async (params, ctx) => {
    const p = readParams<FeatureSearchParams>('features.search', params, {
      query: { type: 'string', maxLength: 200 },
      sae: { type: 'string', optional: true, ...SAE_ID },
      limit: { type: 'integer', optional: true, min: 1, max: 500 },
    });
    const folder = p.sae ? requireSae(ctx.workspace, 'features.search', p.sae) : null;
    const db = await openDb(ctx, 'features.search');
    const scope = folder ? [(await storedSae(db, folder, 'features.search', p.sae!)).id] : undefined;
    const { listSaes, searchLatents } = await import('../../store/queries.js');
    const saes = new Map(listSaes(db).map((s) => [s.id, s]));
    const modelNames = new Map(
      (db.prepare(`SELECT s.id, m.name FROM saes s JOIN models m ON m.id = s.model_id`).all() as Array<{ id: number; name: string }>).map((r) => [r.id, r.name]),
    );
    const summary = db.prepare(`SELECT top_tokens AS topTokens FROM latents WHERE sae_id = ? AND latent = ?`);
    return searchLatents(db, p.query, { saeIds: scope, limit: p.limit ?? 50 }).map((hit) => {
      const sae = saes.get(hit.saeId)!;
      const topTokens = (summary.get(hit.saeId, hit.latent) as { topTokens: string } | undefined)?.topTokens ?? '';
      return {
        id: { model: path.basename(modelNames.get(hit.saeId) ?? ''), sae: saeIdOf(ctx.workspace, sae.path), latent: hit.latent },
        matchedIn: hit.matched === 'top_tokens' ? 'top token' : 'logit +',
        summary: featureSummary({ latent: hit.latent, density: hit.density, maxAct: hit.maxAct, topTokens }),
      };
    });
  },
};
