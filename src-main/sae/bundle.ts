// Trained parameters as a SaeBundle (SAELens layout and names), for the format writers.
import type { SaeArchitecture, SaeBundle } from './types.js';
import type { SaeExportMeta, SaeParamArrays } from './api.js';
import type { SaeTrainConfig } from './config.js';

export function toSaeBundle(
  config: SaeTrainConfig,
  params: SaeParamArrays,
  logSparsity: Float32Array,
  meta: SaeExportMeta,
  architecture: SaeArchitecture,
  threshold?: number | Float32Array,
): SaeBundle {
  return {
    spec: {
      ...meta,
      architecture,
      dIn: config.dIn,
      dSae: config.dSae,
      ...(architecture === 'topk' || architecture === 'batchtopk' ? { k: config.k } : {}),
      normalizeActivations: config.normalizeActivations,
      applyBDecToInput: true,
      ...(config.architecture === 'matryoshka_batchtopk' ? { matryoshkaPrefixes: [...config.matryoshkaPrefixes, config.dSae] } : {}),
    },
    weights: {
      W_enc: params.W_enc.slice(),
      W_dec: params.W_dec.slice(),
      b_enc: params.b_enc.slice(),
      b_dec: params.b_dec.slice(),
      ...(threshold === undefined ? {} : { threshold: typeof threshold === 'number' ? new Float32Array(config.dSae).fill(threshold) : threshold.slice() }),
    },
    logSparsity,
  };
}
