import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../../../src-shared/api.js';
import { defaultLayer, defaultTrainForm, freeFamilyName, validateTrainForm } from '../../../src-renderer/src/lib/train-form.js';

const model = (id: string, nLayers: number, dModel: number): ModelEntry => ({ id, path: `/ws/models/${id}`, nLayers, dModel, nHeads: 4, nCtx: 128, vocabSize: 50257, sizeBytes: 1, provenance: null, evaluation: null });
const tiny = model('tiny', 2, 64);
const gpt2 = model('gpt2', 12, 768);

describe('train form', () => {
  it('defaults to the paper: layer 8 of 12, k 32, sizes from the width, auto lr, a free family name', () => {
    expect(defaultLayer(12)).toBe(8);
    expect(defaultLayer(2)).toBe(1);
    expect(defaultTrainForm(gpt2, ['layer8-topk'])).toEqual({
      model: 'gpt2',
      dataset: 'embedded:sotu',
      hook: 'blocks.8.hook_resid_post',
      sizes: '12288, 49152',
      k: '32',
      tokens: '1000000',
      batch: '4096',
      lr: '',
      evalTokens: '',
      family: 'layer8-topk-2',
      arch: 'topk',
      checkpoints: '',
    });
  });

  it('trains a checkpoints set from earlier checkpoints of the model, with one size', () => {
    const early = model('step-74', 2, 64);
    const values = { ...defaultTrainForm(tiny, []), sizes: '128', k: '8', checkpoints: 'step-74' };
    expect(validateTrainForm(values, [tiny, early], [])).toMatchObject({ ok: true, params: { model: 'tiny', latents: [128], checkpoints: ['step-74'] } });
    expect(validateTrainForm({ ...values, sizes: '128, 256' }, [tiny, early], [])).toEqual({ ok: false, errors: { sizes: 'a checkpoints set trains one SAE per checkpoint: give one size, got 2' } });
    expect(validateTrainForm({ ...values, checkpoints: 'step-9' }, [tiny, early], [])).toEqual({ ok: false, errors: { checkpoints: '"step-9" is not a model of the workspace; have: tiny, step-74' } });
    expect(validateTrainForm({ ...values, checkpoints: 'step-74, tiny' }, [tiny, early], [])).toEqual({ ok: false, errors: { checkpoints: '"tiny" is the final model; list only its earlier checkpoints' } });
    expect(validateTrainForm({ ...values, checkpoints: '' }, [tiny, early], [])).toMatchObject({ ok: true, params: { latents: [128] } });
    expect((validateTrainForm({ ...values, checkpoints: '' }, [tiny, early], []) as { params: object }).params).not.toHaveProperty('checkpoints');
  });

  it('offers the next free family name', () => {
    expect(freeFamilyName('fam', [])).toBe('fam');
    expect(freeFamilyName('fam', ['fam', 'fam-2'])).toBe('fam-3');
    expect(freeFamilyName('fam-2', ['fam', 'fam-2'])).toBe('fam-3');
  });

  it('turns valid fields into TrainParams, sizes ascending, lr only when given', () => {
    const values = { ...defaultTrainForm(tiny, []), sizes: '256 128', k: '8', tokens: '20_000' };
    expect(validateTrainForm(values, [tiny], [])).toEqual({
      ok: true,
      params: { model: 'tiny', dataset: 'embedded:sotu', hook: 'blocks.1.hook_resid_post', latents: [128, 256], k: 8, tokens: 20000, family: 'layer1-topk', arch: 'topk', batch: 4096 },
    });
    const withLr = validateTrainForm({ ...values, lr: '3e-4', batch: '', evalTokens: '0' }, [tiny], []);
    expect(withLr.ok && withLr.params.lr).toBe(3e-4);
    expect(withLr.ok && withLr.params.evalTokens).toBe(0);
    expect(withLr.ok && 'batch' in withLr.params).toBe(false);
  });

  it('asks a matryoshka run for at least two sizes, the smaller ones its nested prefixes', () => {
    const values = { ...defaultTrainForm(tiny, []), sizes: '256', k: '8', arch: 'matryoshka' as const };
    const one = validateTrainForm(values, [tiny], []);
    expect(one.ok ? null : one.errors.sizes).toMatch(/^matryoshka needs at least two sizes/);
    const two = validateTrainForm({ ...values, sizes: '64, 256' }, [tiny], []);
    expect(two.ok && two.params).toMatchObject({ arch: 'matryoshka', latents: [64, 256] });
  });

  it('names every wrong field with what would be right', () => {
    const result = validateTrainForm(
      { ...defaultTrainForm(tiny, []), hook: 'blocks.5.hook_resid_post', sizes: '16, 64', k: '32', tokens: 'many', lr: '-1', evalTokens: '1e3', family: 'layer1-topk' },
      [tiny],
      ['layer1-topk'],
    );
    expect(result).toEqual({
      ok: false,
      errors: {
        hook: 'hook "blocks.5.hook_resid_post" names layer 5, but the model has layers 0..1',
        sizes: 'every size must be ≥ k (32), got 16',
        tokens: 'tokens must be a whole number ≥ 1, got "many"',
        lr: 'learning rate must be a number > 0 (e.g. 2e-4), or empty for auto; got "-1"',
        evalTokens: 'eval tokens must be a whole number ≥ 0 (0 skips the evals), or empty for the default; got "1e3"',
        family: 'family "layer1-topk" already exists; pick another name',
      },
    });
    const noModel = validateTrainForm({ ...defaultTrainForm(undefined, []), sizes: '64, 64' }, [], []);
    expect(noModel.ok ? null : noModel.errors).toEqual({ model: 'the workspace has no model yet; create one on the home screen', sizes: 'sizes must differ, got 64, 64' });
  });
});
