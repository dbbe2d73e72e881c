// Steer stores: a prompt continued as the model is and with SAE latents steered, and a strength sweep.
import type { SteerParams, SteerResult, SteerSweep, SteerSweepParams } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { RequestState } from './request.svelte.js';

export const steer = new RequestState<SteerParams, SteerResult>((params) => api.steer.generate(params));

/** The same prompt at several strengths. */
export const sweep = new RequestState<SteerSweepParams, SteerSweep>((params) => api.steer.sweep(params));
