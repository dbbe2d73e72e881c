// Language-model stores: continuations of prompts (lm.sample). Evaluating and exporting a model are
// jobs, started through the jobs store.
import type { LmSampleParams, LmSampleResult } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { RequestState } from './request.svelte.js';

/** The last prompts continued; the sample panel shows it for the model it asked. */
export const lmSample = new RequestState<LmSampleParams, LmSampleResult>((params) => api.lm.sample(params));
