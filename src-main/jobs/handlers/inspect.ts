// inspect.prompt: a prompt through the model and one SAE, the active latents on every token.
import type { InspectParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { notAvailable } from '../unavailable.js';
import { requireModel, requireSae } from './lookup.js';

export const inspectHandlers: DomainHandlers<'inspect'> = {
  'inspect.prompt': (params, { workspace }) => {
    const p = readParams<InspectParams>('inspect.prompt', params, {
      model: { type: 'string', ...ENTRY_NAME },
      sae: { type: 'string', ...SAE_ID },
      text: { type: 'string', maxLength: 20_000 },
      latent: { type: 'integer', optional: true, min: 0 },
      topPerToken: { type: 'integer', optional: true, min: 1, max: 50 },
    });
    requireModel(workspace, 'inspect.prompt', p.model);
    requireSae(workspace, 'inspect.prompt', p.sae);
    throw notAvailable('prompt inspection', 'src-main/features has no inspect function on main yet');
  },
};
