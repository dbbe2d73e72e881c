// Family store: one latent's family tree across its SAE family's sizes, its counterparts across a
// checkpoints set, a family's page and its splitting between sizes.
import type { FamilyCounterparts, FamilyCounterpartsParams, FamilyPage, FamilyPageParams, FamilySplitting, FamilySplittingParams, FamilyTree, FamilyTreeParams } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { RequestState } from './request.svelte.js';

export const family = new RequestState<FamilyTreeParams, FamilyTree>((params) => api.family.tree(params));
export const counterparts = new RequestState<FamilyCounterpartsParams, FamilyCounterparts>((params) => api.family.counterparts(params));
export const familyPage = new RequestState<FamilyPageParams, FamilyPage>((params) => api.family.page(params));
export const splitting = new RequestState<FamilySplittingParams, FamilySplitting>((params) => api.family.splitting(params));
