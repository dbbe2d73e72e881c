// attribution.run: the SAE latents behind one next-token prediction, at one or more sites;
// attribution.tokenEffects: one latent's effect on each next-token prediction of a context;
// attribution.featureHeads: which heads, MLPs and embeddings write a latent's pre-activation at its contexts.
import { ApiError } from '../../../src-shared/api.js';
import type { AttributionParams, FeatureHeadsParams, TokenEffectParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { MAX_SAES } from '../resources.js';
import { withLoaded } from './loaded.js';

/** Contexts one featureHeads request reads: a feature page's top contexts are at most this many. */
const MAX_HEAD_CONTEXTS = 20;

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
  'attribution.featureHeads': async (params, ctx) => {
    const method = 'attribution.featureHeads';
    const { contexts: given, ...rest } = (params ?? {}) as Partial<FeatureHeadsParams>;
    const p = readParams<Omit<FeatureHeadsParams, 'contexts'>>(method, rest, {
      model: { type: 'string', ...ENTRY_NAME },
      sae: { type: 'string', ...SAE_ID },
      latent: { type: 'integer', min: 0 },
    });
    if (!Array.isArray(given) || given.length === 0 || given.length > MAX_HEAD_CONTEXTS) {
      throw new ApiError('bad_request', `${method}: "contexts" must be a list of 1 to ${MAX_HEAD_CONTEXTS} {tokens, position}, got ${Array.isArray(given) ? `${given.length} items` : typeof given}`);
    }
    const contexts = given.map((c, i) =>
      readParams<FeatureHeadsParams['contexts'][number]>(`${method}: contexts[${i}]`, c, { tokens: { type: 'integer[]', min: 0, minItems: 1, maxItems: 1024 }, position: { type: 'integer', min: 0 } }),
    );
    return withLoaded(ctx, method, p.model, [p.sae], async ({ model, saes: [sae] }) => {
      const { featureHeads } = await import('../../circuits/feature-heads.js');
      const bos = sae!.bundle.spec.prependBos;
      const fed = contexts.map((c, i) => {
        const where = `contexts[${i}]`;
        if (c.position >= c.tokens.length) throw new Error(`${where}.position must be an index into its ${c.tokens.length} tokens, got ${c.position}`);
        const ids = bos ? [model.config.bosTokenId, ...c.tokens] : c.tokens;
        if (ids.length > model.config.nPositions) throw new Error(`${where} has ${ids.length} tokens${bos ? ' with BOS' : ''}, more than the model's context of ${model.config.nPositions}`);
        return { ids, position: c.position + (bos ? 1 : 0) };
      });
      const result = featureHeads(model, sae!.bundle, sae!.runner, fed, p.latent);
      // Positions as the caller gave them, BOS not counted.
      return { ...result, contexts: result.contexts.map((c) => ({ ...c, position: c.position - (bos ? 1 : 0) })) };
    });
  },
};
