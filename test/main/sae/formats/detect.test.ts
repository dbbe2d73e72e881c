import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { detectSaeFormat, importSae } from '../../../../src-main/sae/formats/detect.js';
import { parseHubSaeRef } from '../../../../src-main/sae/formats/hub.js';
import { saveSaeLens } from '../../../../src-main/sae/formats/saelens.js';
import { saveSparsify } from '../../../../src-main/sae/formats/sparsify.js';
import { tempDir, tensor, writeFolder } from '../../../fixtures/sae/folders.js';
import { randomArray, randomBundle, seededRandom } from '../../../fixtures/sae/random-bundle.js';

const model = { nEmbd: 6, nLayer: 2 };

describe('detectSaeFormat', () => {
  it('tells SAELens, sparsify and OpenAI apart from their files', () => {
    const root = tempDir();
    saveSaeLens(path.join(root, 'lens'), randomBundle({ architecture: 'topk' }));
    saveSparsify(path.join(root, 'run', 'h.1'), randomBundle({ architecture: 'topk' }));
    expect(detectSaeFormat(path.join(root, 'lens')).format).toBe('saelens');
    expect(detectSaeFormat(path.join(root, 'lens', 'cfg.json')).format).toBe('saelens');
    expect(detectSaeFormat(path.join(root, 'run', 'h.1')).format).toBe('sparsify');
    // A run with a single hookpoint resolves to it.
    expect(detectSaeFormat(path.join(root, 'run'))).toEqual({ format: 'sparsify', path: path.join(root, 'run', 'h.1') });
  });

  it('lists the SAEs of a folder holding several, and names what a lone cfg.json lacks', () => {
    const root = tempDir();
    saveSaeLens(path.join(root, 'blocks.0.hook_resid_pre'), randomBundle({ architecture: 'topk' }));
    saveSaeLens(path.join(root, 'blocks.1.hook_resid_pre'), randomBundle({ architecture: 'topk' }));
    expect(() => detectSaeFormat(root)).toThrow(/holds 2 SAEs .* import one of them: .*blocks\.0\.hook_resid_pre, .*blocks\.1\.hook_resid_pre/);
    const lone = tempDir();
    writeFileSync(path.join(lone, 'cfg.json'), '{}');
    expect(() => detectSaeFormat(lone)).toThrow(/has cfg\.json but neither sae_weights\.safetensors \(SAELens\) nor sae\.safetensors \(sparsify\)/);
    expect(() => detectSaeFormat(tempDir())).toThrow(/no SAE here/);
    expect(() => detectSaeFormat(path.join(lone, 'nope'))).toThrow(/no such file or folder/);
  });
});

describe('importSae validation against the model', () => {
  it('accepts an SAE that fits, including the 4·d_model MLP site', async () => {
    const root = tempDir();
    saveSaeLens(path.join(root, 'a'), randomBundle({ architecture: 'jumprelu', hookName: 'blocks.1.hook_resid_post' }));
    expect((await importSae(path.join(root, 'a'), { model })).spec.architecture).toBe('jumprelu');
    saveSaeLens(path.join(root, 'b'), randomBundle({ architecture: 'standard', dIn: 24, hookName: 'blocks.0.mlp.hook_post' }));
    expect((await importSae(path.join(root, 'b'), { model })).spec.dIn).toBe(24);
  });

  it('says when d_in is not the width of the hook', async () => {
    const dir = path.join(tempDir(), 'sae');
    saveSaeLens(dir, randomBundle({ architecture: 'topk', dIn: 8 }));
    await expect(importSae(dir, { model })).rejects.toThrow(/SAE d_in is 8 but hook "blocks\.1\.hook_resid_post" of this model \(d_model 6, 2 layers\) has width 6/);
  });

  it('says when the hook is not one of the model', async () => {
    const dir = path.join(tempDir(), 'sae');
    saveSaeLens(dir, randomBundle({ architecture: 'topk', hookName: 'blocks.5.hook_resid_post' }));
    await expect(importSae(dir, { model })).rejects.toThrow(/hook "blocks\.5\.hook_resid_post" names layer 5, but the model has layers 0\.\.1/);
    saveSaeLens(dir, randomBundle({ architecture: 'topk', hookName: 'blocks.1.hook_z' }));
    await expect(importSae(dir, { model })).rejects.toThrow(/unknown hook name "blocks\.1\.hook_z"/);
    expect((await importSae(dir, { model, hook: 'blocks.0.hook_resid_mid' })).spec.hookName).toBe('blocks.0.hook_resid_mid');
  });

  it('imports an OpenAI SAELens mirror (legacy cfg, layer_norm, topk k 32)', async () => {
    const rand = seededRandom(3);
    const dir = writeFolder(tempDir(), {
      d_in: 6, d_sae: 40, dtype: 'float32', model_name: 'gpt2-small', hook_name: 'blocks.1.hook_resid_post', hook_layer: 1,
      activation_fn_str: 'topk', activation_fn_kwargs: { k: 32 }, normalize_activations: 'layer_norm', apply_b_dec_to_input: true,
      context_size: 64, prepend_bos: false, dataset_path: 'Skylion007/openwebtext',
    }, 'sae_weights.safetensors', {
      W_enc: tensor([6, 40], randomArray(240, rand)), W_dec: tensor([40, 6], randomArray(240, rand)),
      b_enc: tensor([40], randomArray(40, rand)), b_dec: tensor([6], randomArray(6, rand)),
    });
    const { spec } = await importSae(dir, { model });
    expect(spec).toMatchObject({ architecture: 'topk', k: 32, normalizeActivations: 'layer_norm', hookName: 'blocks.1.hook_resid_post' });
  });
});

describe('importSae from the Hugging Face Hub', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
  });

  it('parses org/repo/subfolder references', () => {
    expect(parseHubSaeRef('jbloom/GPT2-Small-SAEs-Reformatted/blocks.8.hook_resid_pre')).toEqual({ repoId: 'jbloom/GPT2-Small-SAEs-Reformatted', subfolder: 'blocks.8.hook_resid_pre' });
    expect(parseHubSaeRef('hf://EleutherAI/sae-gpt2/h.8')).toEqual({ repoId: 'EleutherAI/sae-gpt2', subfolder: 'h.8' });
    expect(parseHubSaeRef('gpt2')).toBeUndefined();
  });

  it('reads a cached snapshot offline', async () => {
    const cache = tempDir();
    const commit = 'a'.repeat(40);
    const repo = path.join(cache, 'models--someone--gpt2-saes');
    mkdirSync(path.join(repo, 'refs'), { recursive: true });
    writeFileSync(path.join(repo, 'refs', 'main'), commit);
    const bundle = randomBundle({ architecture: 'topk', hookName: 'blocks.0.hook_resid_pre' });
    bundle.logSparsity = randomArray(10, seededRandom(1), 1, -2);
    saveSaeLens(path.join(repo, 'snapshots', commit, 'blocks.0.hook_resid_pre'), bundle);
    process.env.HF_HUB_CACHE = cache;
    process.env.HF_HUB_OFFLINE = '1';
    const loaded = await importSae('someone/gpt2-saes/blocks.0.hook_resid_pre', { model });
    expect(loaded.weights).toEqual(bundle.weights);
    const viaOptions = await importSae('', { hfRepo: 'someone/gpt2-saes', subfolder: 'blocks.0.hook_resid_pre' });
    expect(viaOptions.spec).toEqual(bundle.spec);
  });

  it('says clearly when the SAE is neither local nor reachable', async () => {
    process.env.HF_HUB_CACHE = tempDir();
    process.env.HF_HUB_OFFLINE = '1';
    await expect(importSae('someone/missing/h.8')).rejects.toThrow(/"someone\/missing\/h\.8" is not a local path, and fetching it from the Hugging Face Hub failed: HF_HUB_OFFLINE is set.*import its local path/);
  });
});
