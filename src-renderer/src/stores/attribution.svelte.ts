// Attribution store: the SAE latents behind one next-token prediction.
import type { AttributionParams, AttributionResult } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { RequestState } from './request.svelte.js';

export const attribution = new RequestState<AttributionParams, AttributionResult>((params) => api.attribution.run(params));
