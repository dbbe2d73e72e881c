// Turns a finished harvest of one SAE into the rows the store writes, a chunk of latents at a time.
import { ACT_HISTOGRAM } from './latent-stats.js';
import type { LatentHarvest } from './harvest.js';
import type { LatentRecord } from '../store/records.js';

/** Distinct max tokens of the top contexts, strongest first, as one searchable string. */
function topTokenText(h: LatentHarvest, latent: number, tokenText: (id: number) => string, limit = 10): string {
  const seen = new Set<string>();
  for (const c of h.top.top(latent)) {
    seen.add(tokenText(c.tokens[c.maxIndex]));
    if (seen.size >= limit) break;
  }
  return [...seen].join(' ');
}

export function latentRecords(h: LatentHarvest, from: number, to: number, tokenText: (id: number) => string): LatentRecord[] {
  const out: LatentRecord[] = [];
  for (let latent = from; latent < to; latent++) {
    const s = h.stats.summary(latent);
    out.push({
      latent,
      density: s.density,
      meanAct: s.meanAct,
      maxAct: s.maxAct,
      topTokens: topTokenText(h, latent, tokenText),
      actHistogram: { logLo: ACT_HISTOGRAM.logLo, logHi: ACT_HISTOGRAM.logHi, counts: h.stats.histogramOf(latent) },
      top: h.top.top(latent),
      quantiles: h.quantiles.samples(latent).filter((g) => g.contexts.length > 0),
    });
  }
  return out;
}
