// What the hover tooltip says about a latent, taken from its feature page: the tokens it fires
// hardest on (the max token of each top context, in order, without repeats) and its top logits.
import type { FeaturePage } from '../../../../src-shared/api.js';

export interface LatentSummary {
  topTokens: string[];
  logits: string[];
  density: number;
  maxAct: number;
}

export function summarizePage(page: FeaturePage, tokens = 6): LatentSummary {
  const topTokens: string[] = [];
  for (const example of page.top) {
    const token = example.tokenStrings[example.maxIndex];
    if (token !== undefined && !topTokens.includes(token)) topTokens.push(token);
    if (topTokens.length === tokens) break;
  }
  return { topTokens, logits: page.logitsPos.slice(0, tokens).map((t) => t.token), density: page.density, maxAct: page.maxAct };
}
