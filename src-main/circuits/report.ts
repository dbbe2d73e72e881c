// Attention patterns, head scores and the logit lens from text, in the contract's shapes, for the
// CLI and the requests alike.
import type { AttentionPatterns, HeadScoreTable, LogitLens } from '../../src-shared/api/attention.js';
import type { Gpt2 } from '../model/gpt2.js';
import { promptIds } from '../causal/prompt.js';
import { attentionPatterns, headScores } from './attention.js';
import { logitLens } from './logit-lens.js';

/** Longest prompt whose patterns are returned: heads × tokens² numbers per layer. */
export const MAX_PATTERN_TOKENS = 256;

export interface CircuitTokenizer {
  encode(text: string): number[];
  displayToken(id: number): string;
  eotId: number;
}

function fed(model: Gpt2, tokenizer: CircuitTokenizer, prompt: string, bos: boolean): { ids: number[]; tokens: string[] } {
  const { ids } = promptIds(tokenizer, prompt, { bos, nPositions: model.config.nPositions });
  return { ids, tokens: ids.map((id) => tokenizer.displayToken(id)) };
}

export function patternReport(model: Gpt2, tokenizer: CircuitTokenizer, prompt: string, layer: number, bos = true): AttentionPatterns {
  const { ids, tokens } = fed(model, tokenizer, prompt, bos);
  if (ids.length > MAX_PATTERN_TOKENS) throw new Error(`the prompt is ${ids.length} tokens; attention patterns are shown for at most ${MAX_PATTERN_TOKENS}`);
  return { tokens, layer, patterns: attentionPatterns(model, ids, [layer])[0]! };
}

export function headScoreReport(model: Gpt2, tokenizer: CircuitTokenizer, prompt: string, bos = true, seed = 0): HeadScoreTable {
  const { ids, tokens } = fed(model, tokenizer, prompt, bos);
  return { tokens, ...headScores(model, ids, { seed }) };
}

export function logitLensReport(model: Gpt2, tokenizer: CircuitTokenizer, prompt: string, top = 5, bos = true): LogitLens {
  const { ids, tokens } = fed(model, tokenizer, prompt, bos);
  const layers = logitLens(model, ids, top).map(({ hookName, top: rows }) => ({
    hookName,
    top: rows.map((row) => row.map(({ id, prob }) => ({ id, token: tokenizer.displayToken(id), prob }))),
  }));
  return { tokens, layers };
}
