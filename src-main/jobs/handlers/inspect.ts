// inspect.prompt: a prompt through the model and one SAE, the active latents on every token. The
// model, tokenizer and SAE stay loaded in the compute process, so retyping a prompt feels live.
import { ApiError } from '../../../src-shared/api.js';
import type { InspectParams } from '../../../src-shared/api.js';
import { TRAIN_LIMITS } from '../../train/limits.js';
import type { DomainHandlers } from '../handler.js';
import { ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { requireModel, requireSae } from './lookup.js';

export const inspectHandlers: DomainHandlers<'inspect'> = {
  'inspect.prompt': async (params, { workspace, resources }) => {
    const p = readParams<InspectParams>('inspect.prompt', params, {
      model: { type: 'string', ...ENTRY_NAME },
      sae: { type: 'string', ...SAE_ID },
      text: { type: 'string', maxLength: 20_000 },
      latent: { type: 'integer', optional: true, min: 0, max: TRAIN_LIMITS.latents },
      topPerToken: { type: 'integer', optional: true, min: 1, max: 50 },
    });
    const modelFolder = requireModel(workspace, 'inspect.prompt', p.model);
    const saeFolder = requireSae(workspace, 'inspect.prompt', p.sae);
    const { bundle, runner } = await resources.sae(saeFolder);
    const { model, release } = await resources.acquireModel(modelFolder);
    try {
      if (bundle.spec.dIn !== model.config.nEmbd) {
        throw new ApiError('bad_request', `inspect.prompt: SAE "${p.sae}" reads d_in ${bundle.spec.dIn}, but model "${p.model}" has d_model ${model.config.nEmbd}`);
      }
      const tokenizer = await resources.tokenizer(modelFolder);
      const { inspectText } = await import('../../features/inspect.js');
      let result;
      try {
        result = await inspectText(model, runner, tokenizer, p.text, { top: p.topPerToken ?? 5, latent: p.latent, bos: bundle.spec.prependBos });
      } catch (err) {
        // inspectText's own checks (empty text, text longer than the context, latent out of range).
        throw new ApiError('bad_request', `inspect.prompt: ${(err as Error).message}`);
      }
      return {
        tokens: result.tokens.map((token, i) => ({
          id: token.id,
          token: token.text,
          top: result.perToken[i]!.map((entry) => ({ latent: entry.latent, value: entry.act })),
        })),
        latentActs: result.latent?.acts ?? null,
      };
    } finally {
      release();
    }
  },
};
