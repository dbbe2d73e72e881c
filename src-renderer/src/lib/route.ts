// The app's address, kept in the URL hash so back/forward and reloads work: which screen, and for
// the feature page which (model, sae, latent) and, when asked for, the pane to open and scroll to
// (only the family tree is opened on demand). Other screens name only the SAE or family; its model
// follows from the workspace listing. SAE ids contain "/", so parts are URI-encoded.
import type { FeatureId } from '../../../src-shared/api.js';

export type Route =
  | { screen: 'home' }
  | { screen: 'train' }
  | { screen: 'features'; sae?: string }
  | { screen: 'feature'; id: FeatureId; pane?: 'tree' }
  | { screen: 'map'; family?: string }
  | { screen: 'family'; family: string }
  | { screen: 'inspect'; sae?: string; latent?: number }
  | { screen: 'steer'; sae?: string; latent?: number }
  | { screen: 'attribute'; sae?: string }
  | { screen: 'attention'; model?: string }
  /** A stored comparison `id` (with the pair of A's `latent` opened), or the form with SAE `a` chosen. */
  | { screen: 'compare'; id?: string; latent?: number; a?: string };

export type ScreenName = Route['screen'];

const enc = encodeURIComponent;

function optional(parts: Array<string | number | undefined>): string {
  const kept: string[] = [];
  for (const part of parts) {
    if (part === undefined) break;
    kept.push(enc(String(part)));
  }
  return kept.length ? `/${kept.join('/')}` : '';
}

export function formatRoute(route: Route): string {
  switch (route.screen) {
    case 'home':
    case 'train':
      return `#/${route.screen}`;
    case 'features':
      return `#/features${optional([route.sae])}`;
    case 'feature':
      return `#/feature/${enc(route.id.model)}/${enc(route.id.sae)}/${route.id.latent}${route.pane ? `/${route.pane}` : ''}`;
    case 'map':
      return `#/map${optional([route.family])}`;
    case 'family':
      return `#/family/${enc(route.family)}`;
    case 'inspect':
    case 'steer':
      return `#/${route.screen}${optional([route.sae, route.latent])}`;
    case 'attribute':
      return `#/attribute${optional([route.sae])}`;
    case 'attention':
      return `#/attention${optional([route.model])}`;
    case 'compare':
      // Comparison ids are job ids ("job-12"), so "new" never names one.
      if (route.id !== undefined) return `#/compare${optional([route.id, route.latent])}`;
      return `#/compare${route.a !== undefined ? `/new/${enc(route.a)}` : ''}`;
  }
}

function latentOf(part: string | undefined): number | undefined {
  if (part === undefined || !/^\d+$/.test(part)) return undefined;
  return Number(part);
}

/** Any hash, including garbage typed by hand, becomes a route; unknown ones go home. */
export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '');
  let decoded: string[];
  try {
    decoded = parts.map((p) => decodeURIComponent(p));
  } catch {
    return { screen: 'home' };
  }
  const [screen, a, b, c, d] = decoded;
  switch (screen) {
    case 'train':
      return { screen: 'train' };
    case 'features':
      return { screen: 'features', sae: a };
    case 'feature': {
      const latent = latentOf(c);
      if (a === undefined || b === undefined || latent === undefined) return { screen: 'features', sae: b };
      return { screen: 'feature', id: { model: a, sae: b, latent }, ...(d === 'tree' ? { pane: d } : {}) };
    }
    case 'map':
      return { screen: 'map', family: a };
    case 'family':
      return a === undefined ? { screen: 'home' } : { screen: 'family', family: a };
    case 'inspect':
    case 'steer':
      return { screen, sae: a, latent: latentOf(b) };
    case 'attribute':
      return { screen: 'attribute', sae: a };
    case 'attention':
      return { screen: 'attention', model: a };
    case 'compare':
      if (a === 'new') return { screen: 'compare', a: b };
      return a === undefined ? { screen: 'compare' } : { screen: 'compare', id: a, latent: latentOf(b) };
    default:
      return { screen: 'home' };
  }
}
