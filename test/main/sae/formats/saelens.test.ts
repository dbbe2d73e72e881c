import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tf } from '../../../../src-main/engine/backend.js';
import { openSafetensors } from '../../../../src-main/io/safetensors.js';
import { createSaeRunner } from '../../../../src-main/sae/inference.js';
import { loadSaeLens, saveSaeLens } from '../../../../src-main/sae/formats/saelens.js';
import type { SaeBundle } from '../../../../src-main/sae/types.js';
import { listDir, tempDir, tensor, writeFolder } from '../../../fixtures/sae/folders.js';
import { randomArray, randomBundle, seededRandom, type RandomBundleOptions } from '../../../fixtures/sae/random-bundle.js';

/** Latents and reconstructions of two SAEs on the same random input: equal SAEs give equal outputs. */
function sameBehaviour(a: SaeBundle, b: SaeBundle): { dz: number; dx: number } {
  const x = tf.tensor2d(randomArray(4 * a.spec.dIn, seededRandom(99), 2), [4, a.spec.dIn]);
  const [ra, rb] = [createSaeRunner(a), createSaeRunner(b)];
  const diff = (p: tf.Tensor, q: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(p, q))).dataSync()[0]);
  const [za, zb, xa, xb] = [ra.encode(x), rb.encode(x), ra.reconstruct(x), rb.reconstruct(x)];
  const result = { dz: diff(za, zb), dx: diff(xa, xb) };
  tf.dispose([x, za, zb, xa, xb]);
  ra.dispose();
  rb.dispose();
  return result;
}

describe('SAELens folder round trip', () => {
  const cases: Array<[string, RandomBundleOptions]> = [
    ['topk', { architecture: 'topk', k: 3 }],
    ['standard', { architecture: 'standard' }],
    ['jumprelu', { architecture: 'jumprelu' }],
    ['gated', { architecture: 'gated' }],
    ['topk layer_norm (OpenAI style)', { architecture: 'topk', k: 2, normalizeActivations: 'layer_norm' }],
    ['batchtopk with threshold', { architecture: 'batchtopk', k: 3, withThreshold: true }],
    ['batchtopk without threshold', { architecture: 'batchtopk', k: 3 }],
  ];
  it.each(cases)('%s: save then load gives back the same spec and weights', (_name, options) => {
    const bundle = randomBundle(options);
    bundle.logSparsity = randomArray(bundle.spec.dSae, seededRandom(4), 2, -3);
    const dir = path.join(tempDir(), 'sae');
    saveSaeLens(dir, bundle);
    const loaded = loadSaeLens(dir);
    expect(loaded.spec).toEqual(bundle.spec);
    expect(loaded.weights).toEqual(bundle.weights);
    expect(loaded.logSparsity).toEqual(bundle.logSparsity);
  });

  it('writes cfg.json and tensor names exactly as SAELens 6 save_model does', () => {
    const bundle = randomBundle({ architecture: 'topk', k: 3, normalizeActivations: 'layer_norm' });
    const dir = path.join(tempDir(), 'sae');
    saveSaeLens(dir, bundle);
    expect(listDir(dir)).toEqual(['cfg.json', 'sae_weights.safetensors']);
    const cfg = JSON.parse(readFileSync(path.join(dir, 'cfg.json'), 'utf8'));
    expect(cfg).toMatchObject({
      d_in: 6, d_sae: 10, dtype: 'float32', device: 'cpu', apply_b_dec_to_input: true,
      normalize_activations: 'layer_norm', reshape_activations: 'none', architecture: 'topk',
      k: 3, rescale_acts_by_decoder_norm: false,
    });
    expect(cfg.metadata).toMatchObject({
      sae_lens_version: '6.18.0', model_name: 'gpt2', hook_name: 'blocks.1.hook_resid_post',
      hook_head_index: null, context_size: 64, prepend_bos: true, dataset_path: 'test-corpus',
    });
    expect(cfg.metadata).toHaveProperty('sae_lens_training_version');
    const weights = openSafetensors(path.join(dir, 'sae_weights.safetensors'));
    expect(weights.names().sort()).toEqual(['W_dec', 'W_enc', 'b_dec', 'b_enc']);
    expect(weights.info('W_enc')).toEqual({ dtype: 'F32', shape: [6, 10] });
    expect(weights.info('W_dec')).toEqual({ dtype: 'F32', shape: [10, 6] });
  });

  it('saves gated without b_enc, jumprelu with threshold, batchtopk as SAELens saves it (jumprelu)', () => {
    const names = (options: RandomBundleOptions) => {
      const dir = path.join(tempDir(), 'sae');
      saveSaeLens(dir, randomBundle(options));
      const cfg = JSON.parse(readFileSync(path.join(dir, 'cfg.json'), 'utf8'));
      return [cfg.architecture, openSafetensors(path.join(dir, 'sae_weights.safetensors')).names().sort()];
    };
    expect(names({ architecture: 'gated' })).toEqual(['gated', ['W_dec', 'W_enc', 'b_dec', 'b_gate', 'b_mag', 'r_mag']]);
    expect(names({ architecture: 'jumprelu' })).toEqual(['jumprelu', ['W_dec', 'W_enc', 'b_dec', 'b_enc', 'threshold']]);
    expect(names({ architecture: 'batchtopk', withThreshold: true })).toEqual(['jumprelu', ['W_dec', 'W_enc', 'b_dec', 'b_enc', 'threshold']]);
  });

  it('folds an expected_average_only_in factor into the weights, keeping latents and reconstructions', () => {
    const bundle = randomBundle({ architecture: 'jumprelu', normalizeActivations: 'expected_average_only_in', normScalingFactor: 3 });
    const dir = path.join(tempDir(), 'sae');
    saveSaeLens(dir, bundle);
    const loaded = loadSaeLens(dir);
    expect(loaded.spec.normalizeActivations).toBe('none');
    expect(loaded.weights.W_enc[0]).toBeCloseTo(bundle.weights.W_enc[0] * 3, 5);
    const { dz, dx } = sameBehaviour(bundle, loaded);
    expect(dz).toBeLessThan(1e-4);
    expect(dx).toBeLessThan(1e-4);
  });
});

describe('SAELens import of other writers', () => {
  const rand = seededRandom(5);
  const dIn = 4;
  const dSae = 6;
  const base = () => ({
    W_enc: tensor([dIn, dSae], randomArray(dIn * dSae, rand)),
    W_dec: tensor([dSae, dIn], randomArray(dSae * dIn, rand)),
    b_enc: tensor([dSae], randomArray(dSae, rand, 0.2)),
    b_dec: tensor([dIn], randomArray(dIn, rand, 0.2)),
  });

  it('reads a legacy (< 6) top-k cfg: hook_point, activation_fn_str, activation_fn_kwargs.k', () => {
    const dir = writeFolder(tempDir(), {
      d_in: dIn, d_sae: dSae, dtype: 'float32', model_name: 'gpt2-small', hook_point: 'blocks.2.hook_resid_pre',
      hook_point_layer: 2, hook_point_head_index: null, activation_fn_str: 'topk', activation_fn_kwargs: { k: 2 },
      context_size: 64, prepend_bos: false, normalize_activations: 'layer_norm', sae_lens_training_version: '3.13.0',
    }, 'sae_weights.safetensors', base());
    const { spec } = loadSaeLens(dir);
    expect(spec).toMatchObject({
      architecture: 'topk', k: 2, dIn, dSae, hookName: 'blocks.2.hook_resid_pre', modelName: 'gpt2-small',
      contextSize: 64, prependBos: false, normalizeActivations: 'layer_norm', applyBDecToInput: true,
    });
  });

  it('reads legacy boolean normalize_activations and a standard ReLU SAE with defaults', () => {
    const dir = writeFolder(tempDir(), { d_in: dIn, d_sae: dSae, hook_name: 'blocks.0.hook_resid_pre', normalize_activations: true }, 'sae_weights.safetensors', base());
    expect(loadSaeLens(dir).spec).toMatchObject({ architecture: 'standard', normalizeActivations: 'expected_average_only_in', contextSize: 128, prependBos: true });
  });

  it('turns a jumprelu log_threshold into threshold = exp(log_threshold)', () => {
    const log = [-1, 0, 0.5, -2, 1, -0.1];
    const dir = writeFolder(tempDir(), {
      d_in: dIn, d_sae: dSae, architecture: 'jumprelu', metadata: { sae_lens_version: '6.0.0', hook_name: 'blocks.0.hook_mlp_out' },
    }, 'sae_weights.safetensors', { ...base(), log_threshold: tensor([dSae], log) });
    const { weights } = loadSaeLens(dir);
    Array.from(weights.threshold!).forEach((t, i) => expect(t).toBeCloseTo(Math.exp(log[i]), 6));
  });

  it('reads a batchtopk training checkpoint with a scalar topk_threshold', () => {
    const dir = writeFolder(tempDir(), {
      d_in: dIn, d_sae: dSae, architecture: 'batchtopk', k: 2.5, metadata: { sae_lens_version: '6.5.0', hook_name: 'blocks.0.hook_resid_post' },
    }, 'sae_weights.safetensors', { ...base(), topk_threshold: tensor([], [0.25]) });
    const { spec, weights } = loadSaeLens(dir);
    expect(spec.k).toBe(2.5);
    expect(Array.from(weights.threshold!)).toEqual(new Array(dSae).fill(0.25));
  });

  it('folds rescale_acts_by_decoder_norm into the weights with the same latents', () => {
    const tensors = base();
    const dir = writeFolder(tempDir(), {
      d_in: dIn, d_sae: dSae, architecture: 'topk', k: 2, rescale_acts_by_decoder_norm: true,
      metadata: { sae_lens_version: '6.18.0', hook_name: 'blocks.0.hook_resid_post' },
    }, 'sae_weights.safetensors', tensors);
    const { weights } = loadSaeLens(dir);
    const wDec = tensors.W_dec.data as Float32Array;
    for (let i = 0; i < dSae; i++) {
      const norm = Math.hypot(...wDec.slice(i * dIn, (i + 1) * dIn));
      expect(Math.hypot(...weights.W_dec.slice(i * dIn, (i + 1) * dIn))).toBeCloseTo(1, 5);
      expect(weights.b_enc[i]).toBeCloseTo((tensors.b_enc.data as Float32Array)[i] * norm, 5);
    }
  });
});

describe('malformed SAELens folders', () => {
  const good = () => randomBundle({ architecture: 'topk', k: 3 });
  const saved = () => {
    const dir = path.join(tempDir(), 'sae');
    saveSaeLens(dir, good());
    return dir;
  };
  const rewrite = (dir: string, edit: (cfg: Record<string, unknown>) => void) => {
    const cfg = JSON.parse(readFileSync(path.join(dir, 'cfg.json'), 'utf8'));
    edit(cfg);
    writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify(cfg));
  };

  it('names a missing cfg.json', () => {
    expect(() => loadSaeLens(tempDir())).toThrow(/no cfg\.json; a SAELens folder holds cfg\.json and sae_weights\.safetensors/);
  });

  it('names a missing tensor with its expected shape and lists what is there', () => {
    const b = good();
    const dir = writeFolder(tempDir(), { d_in: 6, d_sae: 10, architecture: 'topk', k: 3, metadata: { sae_lens_version: '6.18.0', hook_name: 'blocks.1.hook_resid_post' } }, 'sae_weights.safetensors', {
      W_enc: tensor([6, 10], b.weights.W_enc), W_dec: tensor([10, 6], b.weights.W_dec), b_dec: tensor([6], b.weights.b_dec),
    });
    expect(() => loadSaeLens(dir)).toThrow(/missing tensor "b_enc" \[10\].*the file has W_dec, W_enc, b_dec/);
  });

  it('names a tensor of the wrong shape, the shape expected and where that comes from', () => {
    const dir = saved();
    rewrite(dir, (cfg) => (cfg.d_sae = 12));
    expect(() => loadSaeLens(dir)).toThrow(/tensor "W_enc" has shape \[6, 10\], expected \[6, 12\] \(d_in × d_sae from cfg\.json\)/);
  });

  it('rejects an unknown architecture string, listing the supported ones', () => {
    const dir = saved();
    rewrite(dir, (cfg) => (cfg.architecture = 'matryoshka_batchtopk'));
    expect(() => loadSaeLens(dir)).toThrow(/"architecture" is "matryoshka_batchtopk"; supported: standard, topk, batchtopk, jumprelu, gated/);
  });

  it('rejects a topk cfg without k and NaN weights', () => {
    const dir = saved();
    rewrite(dir, (cfg) => delete cfg.k);
    expect(() => loadSaeLens(dir)).toThrow(/topk SAE needs an integer "k"/);
    const nan = randomBundle({ architecture: 'standard' });
    nan.weights.W_dec[7] = NaN;
    const parent = tempDir();
    expect(() => saveSaeLens(path.join(parent, 'sae'), nan)).toThrow(/W_dec holds NaN at flat index 7/);
    expect(listDir(parent)).toEqual([]);
  });

  it('leaves an existing folder untouched when a save is refused', () => {
    const dir = saved();
    const before = readFileSync(path.join(dir, 'sae_weights.safetensors'));
    const bad = good();
    bad.weights.b_enc = new Float32Array(3);
    expect(() => saveSaeLens(dir, bad)).toThrow(/b_enc has 3 values, expected \[10\]/);
    expect(readFileSync(path.join(dir, 'sae_weights.safetensors'))).toEqual(before);
    expect(listDir(path.dirname(dir))).toEqual(['sae']);
    expect(existsSync(path.join(dir, 'cfg.json'))).toBe(true);
  });
});
