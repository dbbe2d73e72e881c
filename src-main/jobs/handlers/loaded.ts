// The model, tokenizer and SAE runners a causal request works on, loaded (or reused) through the
// compute process's Resources. Whether an SAE fits the model is checked where its hook site is reached.
import { ApiError } from '../../../src-shared/api.js';
import type { Gpt2 } from '../../model/gpt2.js';
import type { SaeRunner } from '../../sae/inference.js';
import type { SaeBundle } from '../../sae/types.js';
import type { Gpt2Tokenizer } from '../../tokenizer/bpe.js';
import type { HandlerContext } from '../handler.js';
import { requireModel, requireSae } from './lookup.js';

export interface Loaded {
  model: Gpt2;
  tokenizer: Gpt2Tokenizer;
  saes: Array<{ id: string; bundle: SaeBundle; runner: SaeRunner }>;
}

/** Runs `use` with the model held (so no other request frees it meanwhile); errors `use` throws become bad_request. */
export async function withLoaded<T>(ctx: HandlerContext, method: string, modelId: string, saeIds: string[], use: (loaded: Loaded) => T | Promise<T>): Promise<T> {
  const modelFolder = requireModel(ctx.workspace, method, modelId);
  const saeFolders = saeIds.map((id) => requireSae(ctx.workspace, method, id));
  const saes = [];
  for (const [i, folder] of saeFolders.entries()) saes.push({ id: saeIds[i]!, ...(await ctx.resources.sae(folder)) });
  const { model, release } = await ctx.resources.acquireModel(modelFolder);
  try {
    const tokenizer = await ctx.resources.tokenizer(modelFolder);
    try {
      return await use({ model, tokenizer, saes });
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError('bad_request', `${method}: ${(err as Error).message}`);
    }
  } finally {
    release();
  }
}
