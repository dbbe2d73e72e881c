// Direct feature attribution for the feature page: which heads, MLPs and embeddings write a latent's
// pre-activation at its top contexts (attribution.featureHeads), fetched on demand.
import type { FeatureHeadsParams, FeatureHeadsResult, FeatureId } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { RequestState } from './request.svelte.js';

export const featureHeads = new RequestState<FeatureHeadsParams, FeatureHeadsResult>((params) => api.attribution.featureHeads(params));

/** Whether the shown result (or the one in flight) is this feature's. */
export function headsOf(id: FeatureId): boolean {
  const p = featureHeads.params;
  return p !== null && p.model === id.model && p.sae === id.sae && p.latent === id.latent;
}
