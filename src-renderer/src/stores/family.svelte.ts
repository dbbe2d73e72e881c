// Family store: one latent's family tree across its SAE family's sizes.
import type { FamilyTree, FamilyTreeParams } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { RequestState } from './request.svelte.js';

export const family = new RequestState<FamilyTreeParams, FamilyTree>((params) => api.family.tree(params));
