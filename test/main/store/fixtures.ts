// A small feature database written through the store's own write functions.
import { openStore, type Db } from '../../../src-main/store/open.js';
import type { LatentRecord } from '../../../src-main/store/records.js';
import { beginHarvest, finishHarvest, registerDataset, registerFamily, registerModel, registerSae, writeLatents, writeLogitEffects, writeNeighbours } from '../../../src-main/store/writes.js';

export function latentRecord(latent: number, maxAct: number, topTokens: string): LatentRecord {
  const context = (value: number) => ({ tokens: new Int32Array([latent, 464, 50256]), acts: new Float32Array([0, value, value / 2]), maxIndex: 1, value, window: 0, position: 1 });
  return {
    latent,
    density: (latent + 1) / 100,
    meanAct: maxAct / 2,
    maxAct,
    topTokens,
    actHistogram: { logLo: -3, logHi: 3, counts: new Uint32Array([1, 2, 3]) },
    top: [context(maxAct), context(maxAct * 0.9)],
    quantiles: [
      { interval: 0, lo: 0, hi: maxAct / 2, seen: 4, contexts: [context(maxAct / 4)] },
      { interval: 1, lo: maxAct / 2, hi: maxAct, seen: 2, contexts: [context(maxAct * 0.75)] },
    ],
  };
}

/** Family "fam" with SAEs of 4 and 8 latents, harvested, with logits and neighbours. */
export function buildSmallDb(file: string): { db: Db; small: number; large: number; family: number } {
  const db = openStore(file);
  const modelId = registerModel(db, { name: 'tiny', nLayer: 2, dModel: 16, vocabSize: 50257 });
  const datasetId = registerDataset(db, 'sotu');
  const family = registerFamily(db, { path: '/fam', name: 'fam', modelId, hookName: 'blocks.1.hook_resid_post' });
  const ids: number[] = [];
  for (const dSae of [4, 8]) {
    const saeId = registerSae(db, { path: `/fam/${dSae}`, modelId, familyId: family, hookName: 'blocks.1.hook_resid_post', architecture: 'topk', dIn: 16, dSae, k: 2 });
    beginHarvest(db, saeId, { datasetId, tokens: 1000, topN: 2, params: { intervals: 2 } });
    const tokens = ['Ġthe', 'Ġdog', 'Ġcat', 'ĠParis', 'Ġthe', 'Ġrun', 'Ġran', 'Ġ1999'];
    writeLatents(db, saeId, Array.from({ length: dSae }, (_, i) => latentRecord(i, 10 - i, `${tokens[i]} ${tokens[(i + 1) % dSae]}`)));
    writeLogitEffects(
      db,
      saeId,
      Array.from({ length: dSae }, (_, i) => ({
        latent: i,
        positive: [{ id: 100 + i, token: i === 2 ? ' London' : ` tok${i}`, value: 3 }],
        negative: [{ id: 200 + i, token: ' never', value: -2 }],
        histogram: { lo: -2, hi: 3, counts: new Uint32Array([5, 0, 7]) },
      })),
    );
    finishHarvest(db, saeId);
    ids.push(saeId);
  }
  const [small, large] = ids;
  writeNeighbours(db, small, small, [{ latent: 0, others: new Int32Array([3, 1]), cosines: new Float32Array([0.5, 0.25]) }]);
  writeNeighbours(db, small, large, [{ latent: 0, others: new Int32Array([6]), cosines: new Float32Array([0.875]) }]);
  return { db, small, large, family };
}
