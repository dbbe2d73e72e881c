import { describe, expect, it } from 'vitest';
import { BLOCK_HOOKS, hookNames, parseHookName } from '../../src-shared/hooks.js';

describe('hook names', () => {
  it('lists every TransformerLens hook of a model in forward order', () => {
    const names = hookNames(2);
    expect(names).toHaveLength(2 + 2 * BLOCK_HOOKS.length + 1);
    expect(names.slice(0, 4)).toEqual(['hook_embed', 'hook_pos_embed', 'blocks.0.hook_resid_pre', 'blocks.0.ln1.hook_normalized']);
    expect(names).toContain('blocks.1.attn.hook_pattern');
    expect(names.at(-2)).toBe('blocks.1.hook_resid_post');
    expect(names.at(-1)).toBe('ln_final.hook_normalized');
  });

  it('parses a block hook into its layer and kind', () => {
    expect(parseHookName('blocks.8.hook_resid_post', 12)).toEqual({ name: 'blocks.8.hook_resid_post', layer: 8, order: 7, kind: 'hook_resid_post' });
    expect(parseHookName('ln_final.hook_normalized', 12).layer).toBe(12);
    expect(parseHookName('hook_embed', 12).layer).toBe(-1);
  });

  it('rejects unknown hooks and layers past the model, naming them', () => {
    expect(() => parseHookName('blocks.8.hook_resid', 12)).toThrow(/unknown hook name "blocks.8.hook_resid"/);
    expect(() => parseHookName('blocks.12.hook_resid_post', 12)).toThrow(/layer 12, but the model has layers 0..11/);
    expect(() => parseHookName('resid_post', 12)).toThrow(/unknown hook name/);
  });
});
