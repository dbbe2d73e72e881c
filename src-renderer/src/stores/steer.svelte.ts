// Steer stores: a prompt continued as the model is and with SAE latents steered, a strength sweep,
// and the named presets the workspace keeps.
import type { SteerParams, SteerPreset, SteerResult, SteerSweep, SteerSweepParams } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { RequestState } from './request.svelte.js';

export const steer = new RequestState<SteerParams, SteerResult>((params) => api.steer.generate(params));

/** The same prompt at several strengths. */
export const sweep = new RequestState<SteerSweepParams, SteerSweep>((params) => api.steer.sweep(params));

/** null lists the presets; every change answers with the whole list as saved. */
export type PresetChange = { save: SteerPreset } | { remove: string } | null;

export const presets = new RequestState<PresetChange, SteerPreset[]>((change) => {
  if (change === null) return api.steer.listPresets();
  if ('save' in change) return api.steer.savePreset(change.save);
  return api.steer.deletePreset({ name: change.remove });
});
