// How a public release (ReleaseInfo from saes.releases) reads in the "Download a release" dialog.
import type { ReleaseInfo } from '../../../src-shared/api.js';

export interface ReleaseFacts {
  /** The hook names its SAEs read, with {L} for the block when there are several: "blocks.{L}.hook_resid_post". */
  hooks: string;
  /** Distinct widths: "768, 1536, …, 98304 latents". */
  sizes: string;
  /** Architecture and input: "topk (k 32), layer_norm input". */
  model: string;
  /** What import changes in the weights: the centring fold, or "none". */
  correction: string;
}

export function releaseFacts(release: ReleaseInfo, layers: readonly number[] = release.layers): ReleaseFacts {
  const chosen = release.saes.filter((s) => layers.includes(s.layer));
  const hooks = [...new Set(chosen.map((s) => (layers.length > 1 ? s.hookName.replace(/^blocks\.\d+\./, 'blocks.{L}.') : s.hookName)))];
  const sizes = [...new Set(chosen.map((s) => s.dSae))].sort((a, b) => a - b);
  return {
    hooks: hooks.join(', ') || '—',
    sizes: sizes.length ? `${sizes.join(', ')} latents` : '—',
    model: `${release.architecture}${release.k !== null ? ` (k ${release.k})` : ''}, ${release.normalizeActivations} input`,
    correction: release.centringFolded ? 'TransformerLens residual centring folded into the weights' : 'none',
  };
}
