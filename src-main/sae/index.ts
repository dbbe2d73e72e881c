// The SAE core's public API. The trainer, evals and exporters use only what this file exports.
//
//   const config = validateSaeConfig({ dIn: 768, dSae: 16384, k: 32 });   // defaults filled, unknown keys rejected
//   const sae = await createSae(config, { sample, shards: 2 });            // sample: normalised [N, dIn] for b_dec
//   const { loss, losses, metrics } = await sae.step(x);                   // x: normalised [batch, dIn]
//   const { values, indices } = await sae.encode(x);                       // [batch, k] each
//   const xhat = await sae.decode({ values, indices });                    // [batch, dIn]
//   const bundle = await sae.toBundle({ modelName, hookName, contextSize, prependBos });  // SAELens layout
//   const state = await sae.getState(); …; await sae.setState(state);     // checkpoints (Float32Arrays)
//   await sae.dispose();
//
// Inputs are normalised by the caller with normalize.ts (fit on a sample, apply per batch, undo on x̂).
// Tensors given to the SAE stay the caller's; tensors it returns are the caller's to dispose.
import type { CreateSaeOptions, TrainableSae } from './api.js';
import type { SaeTrainConfig } from './config.js';
import { saeFactory } from './registry.js';
import './topk.js';
import './batchtopk.js';
import './standard.js';
import './jumprelu.js';
import './gated.js';
import './matryoshka.js';

export type { CreateSaeOptions, SaeExportMeta, SaeParamArrays, SaeTrainState, SparseCode, StepMetrics, StepResult, TrainableSae } from './api.js';
export { defaultLearningRate, validateSaeConfig, TRAIN_ARCHITECTURES, TRAIN_NORMALIZATIONS, type SaeTrainConfig, type SaeTrainArchitecture, type TrainNormalization } from './config.js';
export { applyNormalization, disposeNormalized, fitNormalization, undoNormalization, type NormalizationFit, type NormalizedBatch } from './normalize.js';
export { registeredArchitectures, registerSae } from './registry.js';

/** A trainable SAE of `config.architecture` (a validated config: see validateSaeConfig). */
export async function createSae(config: SaeTrainConfig, options: CreateSaeOptions = {}): Promise<TrainableSae> {
  return saeFactory(config.architecture)(config, options);
}
