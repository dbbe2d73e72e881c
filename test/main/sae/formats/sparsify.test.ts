import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tf } from '../../../../src-main/engine/backend.js';
import { openSafetensors } from '../../../../src-main/io/safetensors.js';
import { createSaeRunner } from '../../../../src-main/sae/inference.js';
import { hookNameOfHookpoint, hookpointOfHookName, loadSparsify, saveSparsify, sparsifyFolder, sparsifyRefusal } from '../../../../src-main/sae/formats/sparsify.js';
import { expectSameFunction } from '../../../fixtures/sae/same-function.js';
import { listDir, tempDir, tensor, writeFolder } from '../../../fixtures/sae/folders.js';
import { randomArray, randomBundle, seededRandom } from '../../../fixtures/sae/random-bundle.js';

const dIn = 4;
const dSae = 8;

/** A sparsify run with one hookpoint folder, written from sparsify's documented keys. */
function sparsifyRun(hookpoint = 'h.2', cfg: Record<string, unknown> = {}) {
  const rand = seededRandom(21);
  const tensors = {
    'encoder.weight': tensor([dSae, dIn], randomArray(dSae * dIn, rand)),
    'encoder.bias': tensor([dSae], randomArray(dSae, rand, 0.2)),
    W_dec: tensor([dSae, dIn], randomArray(dSae * dIn, rand)),
    b_dec: tensor([dIn], randomArray(dIn, rand, 0.3)),
  };
  const run = tempDir();
  writeFileSync(path.join(run, 'config.json'), JSON.stringify({ model: 'gpt2', dataset: 'togethercomputer/RedPajama', ctx_len: 64 }));
  const dir = writeFolder(path.join(run, hookpoint), {
    activation: 'topk', expansion_factor: 2, normalize_decoder: true, num_latents: 0, k: 3,
    multi_topk: false, skip_connection: false, transcode: false, d_in: dIn, ...cfg,
  }, 'sae.safetensors', tensors);
  return { dir, tensors };
}

/** sparsify's forward: TopK(ReLU(encoder(x − b_dec))), decode W_decᵀ z + b_dec, one token at a time. */
function sparsifyReference(t: ReturnType<typeof sparsifyRun>['tensors'], x: number[]) {
  const enc = t['encoder.weight'].data as Float32Array;
  const bias = t['encoder.bias'].data as Float32Array;
  const bDec = t.b_dec.data as Float32Array;
  const wDec = t.W_dec.data as Float32Array;
  const pre = Array.from({ length: dSae }, (_, j) => Math.max(0, x.reduce((acc, v, i) => acc + (v - bDec[i]) * enc[j * dIn + i], bias[j])));
  const keep = pre.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]).slice(0, 3);
  const z = new Array<number>(dSae).fill(0);
  for (const [v, j] of keep) z[j] = v;
  const out = Array.from({ length: dIn }, (_, i) => z.reduce((acc, a, j) => acc + a * wDec[j * dIn + i], bDec[i]));
  return { z, out };
}

describe('sparsify import', () => {
  it('reads a hookpoint folder: transposed encoder, k, latents from expansion_factor, run config', () => {
    const { dir } = sparsifyRun();
    const { spec } = loadSparsify(dir);
    expect(spec).toEqual({
      architecture: 'topk', dIn, dSae, k: 3, normalizeActivations: 'none', applyBDecToInput: true,
      modelName: 'gpt2', hookName: 'blocks.2.hook_resid_post', contextSize: 64, prependBos: false, datasetPath: 'togethercomputer/RedPajama',
    });
  });

  it('encodes and reconstructs as sparsify does', () => {
    const { dir, tensors } = sparsifyRun();
    const runner = createSaeRunner(loadSparsify(dir));
    const rows = [0, 1, 2].map((s) => Array.from(randomArray(dIn, seededRandom(s), 2)));
    const x = tf.tensor2d(rows);
    const z = runner.encode(x).arraySync();
    const out = runner.reconstruct(x).arraySync();
    rows.forEach((row, t) => {
      const ref = sparsifyReference(tensors, row);
      ref.z.forEach((v, j) => expect(z[t][j]).toBeCloseTo(v, 5));
      ref.out.forEach((v, i) => expect(out[t][i]).toBeCloseTo(v, 5));
    });
    x.dispose();
    runner.dispose();
  });

  it('maps hookpoints to TransformerLens hooks and back', () => {
    expect(hookNameOfHookpoint('h.8')).toBe('blocks.8.hook_resid_post');
    expect(hookNameOfHookpoint('transformer.h.11')).toBe('blocks.11.hook_resid_post');
    expect(hookNameOfHookpoint('layers.3')).toBe('blocks.3.hook_resid_post');
    expect(hookNameOfHookpoint('h.4.mlp')).toBe('blocks.4.hook_mlp_out');
    expect(hookNameOfHookpoint('h.4.attn')).toBe('blocks.4.hook_attn_out');
    expect(hookNameOfHookpoint('h.4.ln_1')).toBeUndefined();
    expect(hookpointOfHookName('blocks.8.hook_resid_post')).toBe('h.8');
    expect(hookpointOfHookName('blocks.8.hook_resid_pre')).toBe('h.7');
    expect(hookpointOfHookName('blocks.2.hook_mlp_out')).toBe('h.2.mlp');
    expect(() => hookpointOfHookName('blocks.0.hook_resid_pre')).toThrow(/not the output of a Hugging Face GPT-2 module/);
  });

  it('keeps an unknown hookpoint as the hook name and warns', () => {
    const { dir } = sparsifyRun('h.4.ln_1');
    const warnings: string[] = [];
    const { spec } = loadSparsify(dir, { onWarning: (m) => warnings.push(m) });
    expect(spec.hookName).toBe('h.4.ln_1');
    expect(warnings).toEqual([expect.stringMatching(/hookpoint "h\.4\.ln_1" does not map to a TransformerLens hook name/)]);
  });

  it('refuses transcoders, non-topk activations and wrong tensor shapes with the reason', () => {
    expect(() => loadSparsify(sparsifyRun('h.1', { transcode: true }).dir)).toThrow(/transcoder \(transcode: true\)/);
    expect(() => loadSparsify(sparsifyRun('h.1', { activation: 'groupmax' }).dir)).toThrow(/activation "groupmax" is not supported/);
    expect(() => loadSparsify(sparsifyRun('h.1', { num_latents: 16 }).dir)).toThrow(/"encoder\.weight" has shape \[8, 4\], expected \[16, 4\] \(num_latents × d_in from cfg\.json\)/);
  });
});

describe('sparsify export', () => {
  it('round-trips a top-k SAE through sparsify keys (encoder.weight is W_encᵀ)', () => {
    const bundle = randomBundle({ architecture: 'topk', k: 3, hookName: 'blocks.1.hook_resid_post' });
    const dir = path.join(tempDir(), 'h.1');
    saveSparsify(dir, bundle);
    expect(listDir(dir)).toEqual(['cfg.json', 'sae.safetensors']);
    const cfg = JSON.parse(readFileSync(path.join(dir, 'cfg.json'), 'utf8'));
    expect(cfg).toMatchObject({ d_in: 6, num_latents: 10, k: 3, activation: 'topk', transcode: false, skip_connection: false });
    const st = openSafetensors(path.join(dir, 'sae.safetensors'));
    expect(st.info('encoder.weight').shape).toEqual([10, 6]);
    expect(st.getFloat32('encoder.weight')[1 * 6 + 2]).toBe(bundle.weights.W_enc[2 * 10 + 1]);
    const loaded = loadSparsify(dir, { modelName: 'gpt2' });
    expect(loaded.weights).toEqual(bundle.weights);
    expect(loaded.spec.hookName).toBe('blocks.1.hook_resid_post');
  });

  it('folds what sparsify does differently into the weights: the same latents and reconstruction after import', () => {
    const cases = {
      'a dataset-wide input scale': randomBundle({ architecture: 'topk', k: 3, normalizeActivations: 'expected_average_only_in', normScalingFactor: 2.5 }),
      'b_dec not subtracted from the input': randomBundle({ architecture: 'topk', k: 3, applyBDecToInput: false }),
      'both': randomBundle({ architecture: 'topk', k: 4, normalizeActivations: 'expected_average_only_in', normScalingFactor: 0.4, applyBDecToInput: false, seed: 3 }),
      'batchtopk run as per-token top-k': randomBundle({ architecture: 'batchtopk', k: 3 }),
    };
    for (const [name, bundle] of Object.entries(cases)) {
      const dir = path.join(tempDir(), 'h.1');
      saveSparsify(dir, bundle);
      const imported = loadSparsify(dir);
      expect(imported.spec, name).toMatchObject({ architecture: 'topk', normalizeActivations: 'none', applyBDecToInput: true, k: bundle.spec.k });
      expectSameFunction(bundle, imported, name);
    }
  });

  it('says normalize_decoder only when the decoder rows are unit norm', () => {
    const bundle = randomBundle({ architecture: 'topk', k: 3 });
    const unit = structuredClone(bundle);
    for (let i = 0; i < 10; i++) {
      const row = unit.weights.W_dec.subarray(i * 6, (i + 1) * 6);
      const norm = Math.hypot(...row);
      row.forEach((v, d) => (row[d] = v / norm));
    }
    expect(sparsifyFolder(bundle).cfg.normalize_decoder).toBe(false);
    expect(sparsifyFolder(unit).cfg.normalize_decoder).toBe(true);
  });

  it('refuses what sparsify cannot express, saying why, and writes nothing', () => {
    const parent = tempDir();
    const refusals: Array<[Parameters<typeof randomBundle>[0], RegExp]> = [
      [{ architecture: 'jumprelu' }, /only per-token top-k SAEs \(TopK\(ReLU\(·\)\)\); this SAE is jumprelu: export it as saelens instead/],
      [{ architecture: 'standard' }, /this SAE is standard/],
      [{ architecture: 'gated' }, /this SAE is gated/],
      [{ architecture: 'batchtopk', withThreshold: true }, /this SAE is batchtopk with a learned threshold \(a JumpReLU at inference\)/],
      [{ architecture: 'topk', normalizeActivations: 'layer_norm' }, /scales each token by its own mean and standard deviation \(layer_norm\) before encoding and undoes it after decoding; no weights reproduce a scale that depends on the token/],
      [{ architecture: 'topk', normalizeActivations: 'constant_norm_rescale' }, /scales each token to norm √d_in by its own norm \(constant_norm_rescale\)/],
      [{ architecture: 'topk', hookName: 'blocks.0.hook_resid_pre' }, /not the output of a Hugging Face GPT-2 module/],
    ];
    for (const [options, reason] of refusals) {
      expect(() => saveSparsify(path.join(parent, 'h.1'), randomBundle(options)), JSON.stringify(options)).toThrow(reason);
      expect(sparsifyRefusal(randomBundle(options)) === null, JSON.stringify(options)).toBe(options.hookName !== undefined);
    }
    expect(listDir(parent)).toEqual([]);
  });
});
