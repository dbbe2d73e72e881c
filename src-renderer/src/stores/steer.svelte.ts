// Steer stores: a prompt continued as the model is and with SAE latents steered (streamed), a strength sweep,
// and the named presets the workspace keeps.
import type { SteerPreset, SteerSweep, SteerSweepParams } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { RequestState } from './request.svelte.js';
import { SteerStream } from './steer-stream.svelte.js';

/** Baseline and steered completions, streamed token by token. */
export const steer = new SteerStream();

/** The same prompt at several strengths. */
export const sweep = new RequestState<SteerSweepParams, SteerSweep>((params) => api.steer.sweep(params));

/** null lists the presets; every change answers with the whole list as saved. */
export type PresetChange = { save: SteerPreset } | { remove: string } | null;

export const presets = new RequestState<PresetChange, SteerPreset[]>((change) => {
  if (change === null) return api.steer.listPresets();
  if ('save' in change) return api.steer.savePreset(change.save);
  return api.steer.deletePreset({ name: change.remove });
});
