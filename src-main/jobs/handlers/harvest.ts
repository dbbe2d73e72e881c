// harvest.start: one pass over a corpus for every size of a family into the workspace's feature
// database, then the family's UMAP, as one cancellable job.
import type { HarvestParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { ENTRY_NAME, readParams } from '../params.js';
import { notAvailable } from '../unavailable.js';
import { requireDataset, requireFamily, requireModel } from './lookup.js';

const METHOD = 'harvest.start';

export const harvestHandlers: DomainHandlers<'harvest'> = {
  'harvest.start': (params, { workspace }) => {
    const p = readParams<HarvestParams>(METHOD, params, {
      model: { type: 'string', ...ENTRY_NAME },
      family: { type: 'string', ...ENTRY_NAME },
      dataset: { type: 'string', maxLength: 200 },
      tokens: { type: 'integer', min: 1 },
      top: { type: 'integer', optional: true, min: 1, max: 1000 },
      db: { type: 'string', optional: true, pattern: /^[A-Za-z0-9][\w.-]*\.(sqlite|db)$/, patternHint: 'a file name ending in .sqlite or .db' },
      umap: { type: 'boolean', optional: true },
    });
    requireModel(workspace, METHOD, p.model);
    requireFamily(workspace, METHOD, p.family);
    requireDataset(workspace, METHOD, p.dataset);
    throw notAvailable('harvesting', 'src-main/features has no family harvester on main yet');
  },
};
