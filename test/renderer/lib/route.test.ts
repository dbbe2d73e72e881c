import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute, type Route } from '../../../src-renderer/src/lib/route.js';

describe('route', () => {
  it('round-trips every screen, with SAE ids that contain slashes', () => {
    const routes: Route[] = [
      { screen: 'home' },
      { screen: 'train' },
      { screen: 'features', sae: 'layer1-topk/256' },
      { screen: 'feature', id: { model: 'tiny', sae: 'layer1-topk/256', latent: 17 } },
      { screen: 'feature', id: { model: 'tiny', sae: 'fam/64', latent: 3 }, pane: 'tree' },
      { screen: 'map', family: 'layer1-topk' },
      { screen: 'family', family: 'demo-sotu-gpt2-blocks.2.hook_resid_pre' },
      { screen: 'inspect', sae: 'fam/64', latent: 0 },
      { screen: 'steer', sae: 'fam/64', latent: 12 },
      { screen: 'attribute', sae: 'fam/64' },
      { screen: 'attention', model: 'tiny' },
      { screen: 'compare' },
      { screen: 'compare', a: 'fam/256' },
      { screen: 'compare', id: 'job-12' },
      { screen: 'compare', id: 'job-12', latent: 40 },
    ];
    for (const route of routes) expect(parseRoute(formatRoute(route))).toEqual({ ...route });
    expect(formatRoute(routes[3]!)).toBe('#/feature/tiny/layer1-topk%2F256/17');
    expect(formatRoute(routes[4]!)).toBe('#/feature/tiny/fam%2F64/3/tree');
    expect(formatRoute({ screen: 'compare', a: 'fam/256' })).toBe('#/compare/new/fam%2F256');
    expect(formatRoute({ screen: 'compare', id: 'job-12', latent: 40 })).toBe('#/compare/job-12/40');
  });

  it('drops optional parts after the first missing one', () => {
    expect(formatRoute({ screen: 'features' })).toBe('#/features');
    expect(formatRoute({ screen: 'inspect', sae: 'fam/64' })).toBe('#/inspect/fam%2F64');
    expect(formatRoute({ screen: 'features', sae: undefined })).toBe('#/features');
    expect(parseRoute('#/features')).toEqual({ screen: 'features', sae: undefined });
  });

  it('sends unknown, malformed or incomplete hashes somewhere sensible', () => {
    expect(parseRoute('')).toEqual({ screen: 'home' });
    expect(parseRoute('#/nowhere/1')).toEqual({ screen: 'home' });
    expect(parseRoute('#/feature/%E0%A4%A')).toEqual({ screen: 'home' });
    expect(parseRoute('#/feature/tiny/fam%2F64/abc')).toEqual({ screen: 'features', sae: 'fam/64' });
    expect(parseRoute('#/feature/tiny/fam%2F64/3/nope')).toStrictEqual({ screen: 'feature', id: { model: 'tiny', sae: 'fam/64', latent: 3 } });
    expect(parseRoute('#/inspect/fam%2F64/-3')).toEqual({ screen: 'inspect', sae: 'fam/64', latent: undefined });
    expect(parseRoute('#/steer')).toEqual({ screen: 'steer', sae: undefined, latent: undefined });
    expect(parseRoute('#/attention')).toEqual({ screen: 'attention', model: undefined });
    expect(parseRoute('#/family')).toEqual({ screen: 'home' });
  });
});
