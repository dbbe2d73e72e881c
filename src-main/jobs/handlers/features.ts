// Feature browsing requests, answered from the workspace's feature database (src-main/store).
import type { FeatureId, FeatureListParams, FeatureMapParams, FeatureSearchParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { notAvailable } from '../unavailable.js';
import { requireDatabase, requireFamily, requireModel, requireSae } from './lookup.js';

const STORE_MISSING = 'src-main/store has no feature queries on main yet';

export const featureHandlers: DomainHandlers<'features'> = {
  'features.list': (params, { workspace }) => {
    const p = readParams<FeatureListParams>('features.list', params, {
      model: { type: 'string', ...ENTRY_NAME },
      sae: { type: 'string', ...SAE_ID },
      sort: { type: 'enum', optional: true, values: ['index', 'density', 'max_act'] },
      descending: { type: 'boolean', optional: true },
      tokenFilter: { type: 'string', optional: true, maxLength: 200 },
      offset: { type: 'integer', optional: true, min: 0 },
      limit: { type: 'integer', optional: true, min: 1, max: 1000 },
    });
    requireModel(workspace, 'features.list', p.model);
    requireSae(workspace, 'features.list', p.sae);
    requireDatabase(workspace, 'features.list');
    throw notAvailable('the latent list', STORE_MISSING);
  },

  'features.page': (params, { workspace }) => {
    const p = readParams<FeatureId>('features.page', params, {
      model: { type: 'string', ...ENTRY_NAME },
      sae: { type: 'string', ...SAE_ID },
      latent: { type: 'integer', min: 0 },
    });
    requireModel(workspace, 'features.page', p.model);
    requireSae(workspace, 'features.page', p.sae);
    requireDatabase(workspace, 'features.page');
    throw notAvailable('the feature page', STORE_MISSING);
  },

  'features.map': (params, { workspace }) => {
    const p = readParams<FeatureMapParams>('features.map', params, {
      model: { type: 'string', ...ENTRY_NAME },
      family: { type: 'string', ...ENTRY_NAME },
    });
    requireModel(workspace, 'features.map', p.model);
    requireFamily(workspace, 'features.map', p.family);
    requireDatabase(workspace, 'features.map');
    throw notAvailable('the feature map', STORE_MISSING);
  },

  'features.search': (params, { workspace }) => {
    const p = readParams<FeatureSearchParams>('features.search', params, {
      query: { type: 'string', maxLength: 200 },
      sae: { type: 'string', optional: true, ...SAE_ID },
      limit: { type: 'integer', optional: true, min: 1, max: 500 },
    });
    if (p.sae) requireSae(workspace, 'features.search', p.sae);
    requireDatabase(workspace, 'features.search');
    throw notAvailable('feature search', STORE_MISSING);
  },
};
