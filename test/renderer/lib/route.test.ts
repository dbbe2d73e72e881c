import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute, type Route } from '../../../src-renderer/src/lib/route.js';

describe('route', () => {
  it('round-trips every screen, with SAE ids that contain slashes', () => {
    const routes: Route[] = [
      { screen: 'home' },
      { screen: 'train' },
      { screen: 'features', model: 'tiny', sae: 'layer1-topk/256' },
      { screen: 'feature', id: { model: 'tiny', sae: 'layer1-topk/256', latent: 17 } },
      { screen: 'map', model: 'tiny', family: 'layer1-topk' },
      { screen: 'inspect', model: 'tiny', sae: 'fam/64', latent: 0 },
    ];
    for (const route of routes) expect(parseRoute(formatRoute(route))).toEqual({ ...route });
    expect(formatRoute(routes[3]!)).toBe('#/feature/tiny/layer1-topk%2F256/17');
  });

  it('drops optional parts after the first missing one', () => {
    expect(formatRoute({ screen: 'features' })).toBe('#/features');
    expect(formatRoute({ screen: 'inspect', model: 'm' })).toBe('#/inspect/m');
    expect(parseRoute('#/features')).toEqual({ screen: 'features', model: undefined, sae: undefined });
  });

  it('sends unknown, malformed or incomplete hashes somewhere sensible', () => {
    expect(parseRoute('')).toEqual({ screen: 'home' });
    expect(parseRoute('#/nowhere/1')).toEqual({ screen: 'home' });
    expect(parseRoute('#/feature/%E0%A4%A')).toEqual({ screen: 'home' });
    expect(parseRoute('#/feature/tiny/fam%2F64/abc')).toEqual({ screen: 'features', model: 'tiny', sae: 'fam/64' });
    expect(parseRoute('#/inspect/tiny/fam%2F64/-3')).toEqual({ screen: 'inspect', model: 'tiny', sae: 'fam/64', latent: undefined });
  });
});
