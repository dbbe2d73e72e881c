// Token-effects store: for one feature's top contexts, the latent's effect on every next-token
// prediction (attribution.tokenEffects), fetched on demand one context at a time.
import type { ApiErrorInfo, ContextExample, FeatureId, TokenEffectResult } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { errorInfo } from './errors.js';

const key = (id: FeatureId) => `${id.model}\n${id.sae}\n${id.latent}`;

class TokenEffectsStore {
  /** The feature `rows` belong to. */
  feature = $state<string | null>(null);
  /** One entry per context, in order, as they arrive. */
  rows = $state<TokenEffectResult[]>([]);
  error = $state<ApiErrorInfo | null>(null);
  busy = $state(false);

  has(id: FeatureId): boolean {
    return this.feature === key(id);
  }

  async load(id: FeatureId, contexts: ContextExample[]): Promise<void> {
    const mine = key(id);
    this.feature = mine;
    this.rows = [];
    this.error = null;
    this.busy = true;
    try {
      for (const context of contexts) {
        const result = await api.attribution.tokenEffects({ ...id, tokens: context.tokens });
        if (this.feature !== mine) return;
        this.rows = [...this.rows, result];
      }
    } catch (err) {
      if (this.feature === mine) this.error = errorInfo(err);
    } finally {
      if (this.feature === mine) this.busy = false;
    }
  }
}

export const tokenEffects = new TokenEffectsStore();
