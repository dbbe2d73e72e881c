// Attention store: a model's attention patterns (one layer at a time), its head score table and
// its logit lens on a prompt.
import type {
  AttentionPatternParams,
  AttentionPatterns,
  HeadScoreParams,
  HeadScoreTable,
  LogitLens,
  LogitLensParams,
} from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { RequestState } from './request.svelte.js';

export const attention = {
  patterns: new RequestState<AttentionPatternParams, AttentionPatterns>((params) => api.attention.patterns(params)),
  scores: new RequestState<HeadScoreParams, HeadScoreTable>((params) => api.attention.headScores(params)),
  lens: new RequestState<LogitLensParams, LogitLens>((params) => api.attention.logitLens(params)),
};
