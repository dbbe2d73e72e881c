// steer.generate: a prompt continued as the model is and with SAE latents steered, side by side;
// steer.sweep: the same at several strengths, tracking the tokens the latent promotes.
import type { SteerParams, SteerResult, SteerSweepParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { withLoaded } from './loaded.js';

export const steerHandlers: DomainHandlers<'steer'> = {
  'steer.generate': async (params, ctx) => {
    const p = readParams<SteerParams>('steer.generate', params, {
      model: { type: 'string', ...ENTRY_NAME },
      sae: { type: 'string', ...SAE_ID },
      prompt: { type: 'string', maxLength: 20_000 },
      latents: { type: 'integer[]', min: 0, minItems: 1 },
      strength: { type: 'number', min: -1e6, max: 1e6 },
      mode: { type: 'enum', optional: true, values: ['add', 'clamp'] },
      fromPosition: { type: 'integer', optional: true, min: 0 },
      maxNewTokens: { type: 'integer', optional: true, min: 1, max: 256 },
      temperature: { type: 'number', optional: true, min: 0, max: 10 },
      seed: { type: 'integer', optional: true, min: 0, max: 2 ** 32 - 1 },
    });
    return withLoaded(ctx, 'steer.generate', p.model, [p.sae], async ({ model, tokenizer, saes: [sae] }): Promise<SteerResult> => {
      const { promptIds } = await import('../../causal/prompt.js');
      const { steerGenerate } = await import('../../causal/steer.js');
      const maxNewTokens = p.maxNewTokens ?? 20;
      const { ids, offset } = promptIds(tokenizer, p.prompt, { bos: sae!.bundle.spec.prependBos, nPositions: model.config.nPositions, reserve: maxNewTokens });
      const result = steerGenerate(model, sae!.runner, ids, {
        maxNewTokens,
        temperature: p.temperature ?? 0,
        ...(p.seed === undefined ? {} : { seed: p.seed }),
        intervention: {
          mode: p.mode ?? 'add',
          latents: p.latents.map((latent) => ({ latent, value: p.strength })),
          ...(p.fromPosition === undefined ? {} : { fromPosition: p.fromPosition + offset }),
        },
      });
      const completion = (out: number[]) => ({ text: tokenizer.decode(out), ids: out, tokens: out.map((id) => tokenizer.displayToken(id)) });
      return {
        promptTokens: ids.slice(offset).map((id) => tokenizer.displayToken(id)),
        baseline: completion(result.baseline),
        steered: completion(result.steered),
        seed: result.seed,
      };
    });
  },
  'steer.sweep': async (params, ctx) => {
    const p = readParams<SteerSweepParams>('steer.sweep', params, {
      model: { type: 'string', ...ENTRY_NAME },
      sae: { type: 'string', ...SAE_ID },
      prompt: { type: 'string', maxLength: 20_000 },
      latents: { type: 'integer[]', min: 0, minItems: 1 },
      strengths: { type: 'number[]', min: -1e6, max: 1e6, minItems: 2, maxItems: 9 },
      maxNewTokens: { type: 'integer', optional: true, min: 1, max: 64 },
    });
    return withLoaded(ctx, 'steer.sweep', p.model, [p.sae], async ({ model, tokenizer, saes: [sae] }) => {
      const { promptIds } = await import('../../causal/prompt.js');
      const { promotedTokens, strengthSweep } = await import('../../causal/sweep.js');
      const maxNewTokens = p.maxNewTokens ?? 12;
      const { ids, offset } = promptIds(tokenizer, p.prompt, { bos: sae!.bundle.spec.prependBos, nPositions: model.config.nPositions, reserve: maxNewTokens });
      const tracked = promotedTokens(model, sae!.runner, p.latents[0]!, 3);
      const rows = strengthSweep(model, sae!.runner, ids, { latents: p.latents, strengths: p.strengths, tokens: tracked, maxNewTokens });
      return {
        promptTokens: ids.slice(offset).map((id) => tokenizer.displayToken(id)),
        tracked: tracked.map((id) => ({ id, token: tokenizer.displayToken(id) })),
        rows: rows.map((r) => ({ strength: r.strength, text: tokenizer.decode(r.ids), tokens: r.ids.map((id) => tokenizer.displayToken(id)), probs: r.probs })),
      };
    });
  },
};
