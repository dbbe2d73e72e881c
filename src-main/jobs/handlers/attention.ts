// attention.*: attention patterns, per-head scores and the logit lens of a model on a prompt.
import type { AttentionPatternParams, HeadScoreParams, LogitLensParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { ENTRY_NAME, readParams } from '../params.js';
import { withLoaded } from './loaded.js';

const PROMPT = {
  model: { type: 'string', ...ENTRY_NAME },
  prompt: { type: 'string', maxLength: 20_000 },
  bos: { type: 'boolean', optional: true },
} as const;

export const attentionHandlers: DomainHandlers<'attention'> = {
  'attention.patterns': async (params, ctx) => {
    const p = readParams<AttentionPatternParams>('attention.patterns', params, { ...PROMPT, layer: { type: 'integer', min: 0 } });
    return withLoaded(ctx, 'attention.patterns', p.model, [], async ({ model, tokenizer }) => {
      const { patternReport } = await import('../../circuits/report.js');
      return patternReport(model, tokenizer, p.prompt, p.layer, p.bos ?? true);
    });
  },
  'attention.headScores': async (params, ctx) => {
    const p = readParams<HeadScoreParams>('attention.headScores', params, { ...PROMPT, seed: { type: 'integer', optional: true, min: 0, max: 2 ** 32 - 1 } });
    return withLoaded(ctx, 'attention.headScores', p.model, [], async ({ model, tokenizer }) => {
      const { headScoreReport } = await import('../../circuits/report.js');
      return headScoreReport(model, tokenizer, p.prompt, p.bos ?? true, p.seed ?? 0);
    });
  },
  'attention.logitLens': async (params, ctx) => {
    const p = readParams<LogitLensParams>('attention.logitLens', params, { ...PROMPT, top: { type: 'integer', optional: true, min: 1, max: 20 } });
    return withLoaded(ctx, 'attention.logitLens', p.model, [], async ({ model, tokenizer }) => {
      const { logitLensReport } = await import('../../circuits/report.js');
      return logitLensReport(model, tokenizer, p.prompt, p.top ?? 5, p.bos ?? true);
    });
  },
};
