// Attribution from text: the prompt fed as its SAEs were trained (BOS or not), the target given as
// the text of one token, and the result in the contract's shape, for the CLI and the request alike.
import type { AttributionResult } from '../../src-shared/api/attribution.js';
import type { Gpt2 } from '../model/gpt2.js';
import type { SaeRunner } from '../sae/inference.js';
import { attribute } from './attribute.js';
import { promptIds } from './prompt.js';

export interface ReportTokenizer {
  encode(text: string): number[];
  displayToken(id: number): string;
  decode(ids: readonly number[]): string;
  eotId: number;
}

/** The one token `text` encodes to; an error listing the pieces when it is several. */
export function singleToken(tokenizer: ReportTokenizer, text: string): number {
  const ids = tokenizer.encode(text);
  if (ids.length !== 1) {
    const pieces = ids.map((id) => JSON.stringify(tokenizer.displayToken(id))).join(', ');
    throw new Error(`target ${JSON.stringify(text)} is ${ids.length} tokens (${pieces || 'none'}); give the text of exactly one token, e.g. " Paris" with its leading space`);
  }
  return ids[0]!;
}

export function attributePrompt(model: Gpt2, tokenizer: ReportTokenizer, saes: Array<{ id: string; runner: SaeRunner }>, prompt: string, targetText: string): AttributionResult {
  const bos = new Set(saes.map((s) => s.runner.spec.prependBos));
  if (bos.size > 1) throw new Error(`the SAEs disagree on prepend_bos (${saes.map((s) => `${s.id}: ${s.runner.spec.prependBos}`).join(', ')}); attribute them separately`);
  const target = singleToken(tokenizer, targetText);
  const { ids, offset } = promptIds(tokenizer, prompt, { bos: [...bos][0] ?? true, nPositions: model.config.nPositions });
  const result = attribute(model, saes.map((s) => s.runner), ids, target);
  return {
    promptTokens: ids.slice(offset).map((id) => tokenizer.displayToken(id)),
    target: { id: target, token: tokenizer.displayToken(target) },
    logit: result.logit,
    logProb: result.logProb,
    lnFinalScale: result.lnFinalScale,
    lnFinalBias: result.lnFinalBias,
    sites: result.sites.map((site, i) => ({ sae: saes[i]!.id, ...site })),
    topTokens: result.next.map(({ id, prob }) => ({ id, token: tokenizer.displayToken(id), text: tokenizer.decode([id]), prob })),
  };
}
