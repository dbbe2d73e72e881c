// Language-model stores: continuations of prompts (lm.sample), a run's loss curve (lm.curve). Evaluating and exporting a model are
// jobs, started through the jobs store.
import type { LmCurve, LmCurveParams, LmSampleParams, LmSampleResult } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { RequestState } from './request.svelte.js';

/** The last prompts continued; the sample panel shows it for the model it asked. */
export const lmSample = new RequestState<LmSampleParams, LmSampleResult>((params) => api.lm.sample(params));

/** The loss curve the curve panel shows. */
export const lmCurve = new RequestState<LmCurveParams, LmCurve>((params) => api.lm.curve(params));
