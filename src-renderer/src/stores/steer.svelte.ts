// Steer store: a prompt continued as the model is and with SAE latents steered.
import type { SteerParams, SteerResult } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { RequestState } from './request.svelte.js';

export const steer = new RequestState<SteerParams, SteerResult>((params) => api.steer.generate(params));
