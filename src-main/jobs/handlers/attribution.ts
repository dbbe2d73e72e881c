// attribution.run: the SAE latents behind one next-token prediction, at one or more sites;
// attribution.tokenEffects: one latent's effect on each next-token prediction of a context.
import type { AttributionParams, TokenEffectParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { MAX_SAES } from '../resources.js';
import { withLoaded } from './loaded.js';

export const attributionHandlers: DomainHandlers<'attribution'> = {
  'attribution.run': async (params, ctx) => {
    const p = readParams<AttributionParams>('attribution.run', params, {
      model: { type: 'string', ...ENTRY_NAME },
      saes: { type: 'string[]', minItems: 1, maxItems: MAX_SAES, ...SAE_ID },
      prompt: { type: 'string', maxLength: 20_000 },
      target: { type: 'string', maxLength: 200 },
    });
    return withLoaded(ctx, 'attribution.run', p.model, p.saes, async ({ model, tokenizer, saes }) => {
      const { attributePrompt } = await import('../../causal/attribution-report.js');
      return attributePrompt(model, tokenizer, saes, p.prompt, p.target);
    });
  },
  'attribution.tokenEffects': async (params, ctx) => {
    const p = readParams<TokenEffectParams>('attribution.tokenEffects', params, {
      model: { type: 'string', ...ENTRY_NAME },
      sae: { type: 'string', ...SAE_ID },
      latent: { type: 'integer', min: 0 },
      tokens: { type: 'integer[]', min: 0, minItems: 1 },
    });
    return withLoaded(ctx, 'attribution.tokenEffects', p.model, [p.sae], async ({ model, saes: [sae] }) => {
      const { tokenEffects } = await import('../../causal/token-effects.js');
      const bos = sae!.runner.spec.prependBos;
      const ids = bos ? [model.config.bosTokenId, ...p.tokens] : p.tokens;
      if (ids.length > model.config.nPositions) throw new Error(`${ids.length} tokens${bos ? ' with BOS' : ''} exceed the model's context of ${model.config.nPositions}`);
      const { acts, effects } = tokenEffects(model, sae!.runner, ids, p.latent);
      const from = bos ? 1 : 0;
      return { acts: acts.slice(from), effects: effects.slice(from) };
    });
  },
};
