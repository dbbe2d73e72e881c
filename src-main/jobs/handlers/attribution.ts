// attribution.run: the SAE latents behind one next-token prediction, at one or more sites.
import type { AttributionParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { withLoaded } from './loaded.js';

export const attributionHandlers: DomainHandlers<'attribution'> = {
  'attribution.run': async (params, ctx) => {
    const p = readParams<AttributionParams>('attribution.run', params, {
      model: { type: 'string', ...ENTRY_NAME },
      saes: { type: 'string[]', minItems: 1, maxItems: 8, ...SAE_ID },
      prompt: { type: 'string', maxLength: 20_000 },
      target: { type: 'string', maxLength: 200 },
    });
    return withLoaded(ctx, 'attribution.run', p.model, p.saes, async ({ model, tokenizer, saes }) => {
      const { attributePrompt } = await import('../../causal/attribution-report.js');
      return attributePrompt(model, tokenizer, saes, p.prompt, p.target);
    });
  },
};
