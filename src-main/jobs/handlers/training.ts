// training.start: validates a family-training request against the workspace, then hands it to the
// trainer (src-main/train) as a pausable job.
import { existsSync } from 'node:fs';
import { ApiError } from '../../../src-shared/api.js';
import type { TrainParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { ENTRY_NAME, readParams } from '../params.js';
import { notAvailable } from '../unavailable.js';
import { requireDataset, requireModel } from './lookup.js';

const METHOD = 'training.start';

export function readTrainParams(params: unknown): TrainParams {
  return readParams<TrainParams>(METHOD, params, {
    model: { type: 'string', ...ENTRY_NAME },
    dataset: { type: 'string', maxLength: 200 },
    hook: { type: 'string', pattern: /^(hook_embed|hook_pos_embed|ln_final\.hook_normalized|blocks\.\d+\.[\w.]+)$/, patternHint: 'a TransformerLens hook name like "blocks.1.hook_resid_post"' },
    latents: { type: 'integer[]', min: 1, minItems: 1 },
    k: { type: 'integer', min: 1 },
    tokens: { type: 'integer', min: 1 },
    family: { type: 'string', ...ENTRY_NAME },
    arch: { type: 'enum', optional: true, values: ['topk', 'relu', 'batchtopk'] },
    batch: { type: 'integer', optional: true, min: 1 },
    lr: { type: 'number', optional: true, min: 0 },
    resume: { type: 'boolean', optional: true },
  });
}

export const trainingHandlers: DomainHandlers<'training'> = {
  'training.start': (params, { workspace }) => {
    const p = readTrainParams(params);
    requireModel(workspace, METHOD, p.model);
    requireDataset(workspace, METHOD, p.dataset);
    const tooSmall = p.latents.find((n) => n < p.k);
    if (tooSmall !== undefined) throw new ApiError('bad_request', `${METHOD}: every size in "latents" must be ≥ k (${p.k}), got ${tooSmall}`);
    if (!p.resume && existsSync(workspace.family(p.family))) {
      throw new ApiError('conflict', `${METHOD}: family "${p.family}" already exists in ${workspace.dir('saes')}; pick another name or set resume`);
    }
    throw notAvailable('training', 'src-main/train has no family trainer on main yet');
  },
};
