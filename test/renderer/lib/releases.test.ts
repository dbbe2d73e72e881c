import { describe, expect, it } from 'vitest';
import type { ReleaseInfo } from '../../../src-shared/api.js';
import { releaseFacts } from '../../../src-renderer/src/lib/releases.js';

const resJb: ReleaseInfo = {
  name: 'gpt2-small-res-jb',
  repoId: 'jbloom/GPT2-Small-SAEs-Reformatted',
  model: 'gpt2',
  architecture: 'standard',
  k: null,
  normalizeActivations: 'none',
  centringFolded: true,
  summary: '',
  caveats: [],
  layers: [10, 11],
  saes: [
    { id: 'blocks.10.hook_resid_pre', layer: 10, hookName: 'blocks.10.hook_resid_pre', dSae: 24576 },
    { id: 'blocks.11.hook_resid_pre', layer: 11, hookName: 'blocks.11.hook_resid_pre', dSae: 24576 },
    { id: 'blocks.11.hook_resid_post', layer: 11, hookName: 'blocks.11.hook_resid_post', dSae: 24576 },
  ],
};

describe('releaseFacts', () => {
  it('names the hooks per block when several layers are chosen, and the correction import applies', () => {
    expect(releaseFacts(resJb)).toEqual({
      hooks: 'blocks.{L}.hook_resid_pre, blocks.{L}.hook_resid_post',
      sizes: '24576 latents',
      model: 'standard, none input',
      correction: 'TransformerLens residual centring folded into the weights',
    });
  });

  it('spells out the hooks of one chosen layer, and says when nothing is chosen', () => {
    expect(releaseFacts(resJb, [11]).hooks).toBe('blocks.11.hook_resid_pre, blocks.11.hook_resid_post');
    expect(releaseFacts(resJb, [])).toMatchObject({ hooks: '—', sizes: '—' });
    const v5 = { ...resJb, architecture: 'topk', k: 32, normalizeActivations: 'layer_norm', centringFolded: false };
    expect(releaseFacts(v5, [10])).toMatchObject({ hooks: 'blocks.10.hook_resid_pre', model: 'topk (k 32), layer_norm input', correction: 'none' });
  });
});
