// Translates the store's rows (src-main/store/queries.ts) into the contract's feature types: SAE ids
// relative to the workspace, token display strings beside token ids, histograms as bin edges.
import path from 'node:path';
import type { ContextExample, FeatureId, FeaturePage, FeatureSummary, Histogram, Neighbor } from '../../../src-shared/api.js';
import type { ContextView, FeaturePage as StoredPage, NeighbourView, SaeInfo } from '../../store/queries.js';
import type { WorkspaceLayout } from '../workspace/layout.js';

export type TokenText = (id: number) => string;

/** The contract's SAE id of a stored SAE: its folder relative to saes/, or its absolute path when outside. */
export function saeIdOf(workspace: WorkspaceLayout, saePath: string): string {
  const relative = path.relative(workspace.dir('saes'), saePath);
  return relative.startsWith('..') || path.isAbsolute(relative) ? saePath : relative.split(path.sep).join('/');
}

export function contextExample(view: ContextView, text: TokenText): ContextExample {
  return { tokens: view.tokens, tokenStrings: view.tokens.map(text), acts: view.acts, maxIndex: view.maxIndex };
}

/** log10-spaced activation bins [10^logLo, 10^logHi) as explicit edges. */
export function logHistogram(stored: { logLo: number; logHi: number; counts: number[] }): Histogram {
  const n = stored.counts.length;
  const edges = Array.from({ length: n + 1 }, (_, i) => 10 ** (stored.logLo + ((stored.logHi - stored.logLo) * i) / n));
  return { edges, counts: stored.counts };
}

export function featurePageView(workspace: WorkspaceLayout, id: FeatureId, page: StoredPage, saePaths: Map<number, string>, text: TokenText): FeaturePage {
  const neighbor = (n: NeighbourView): Neighbor => ({ sae: saeIdOf(workspace, saePaths.get(n.saeId) ?? String(n.saeId)), latent: n.latent, cosine: n.cosine });
  return {
    id,
    density: page.density,
    maxAct: page.maxAct,
    meanAct: page.meanAct,
    top: page.top.map((c) => contextExample(c, text)),
    quantiles: page.quantiles.map((q) => ({ low: q.lo, high: q.hi, examples: q.contexts.map((c) => contextExample(c, text)) })),
    activationHistogram: page.actHistogram ? logHistogram(page.actHistogram) : null,
    logitsPos: page.logitsPos,
    logitsNeg: page.logitsNeg,
    neighbors: page.neighbours.map(neighbor),
    relatives: page.relatives.map(neighbor),
    mapPoint: page.umap3 ?? (page.umap ? { ...page.umap, z: 0 } : null),
  };
}

export function featureSummary(row: { latent: number; density: number; maxAct: number; topTokens: string }): FeatureSummary {
  return { latent: row.latent, density: row.density, maxAct: row.maxAct, topTokens: row.topTokens === '' ? [] : row.topTokens.split(' ') };
}

export function pathsById(saes: SaeInfo[]): Map<number, string> {
  return new Map(saes.map((s) => [s.id, s.path]));
}
