import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tf } from '../../../../src-main/engine/backend.js';
import { writeSafetensors } from '../../../../src-main/io/safetensors.js';
import { createSaeRunner } from '../../../../src-main/sae/inference.js';
import { hookNameFromOpenAiPath, loadOpenAiSafetensors } from '../../../../src-main/sae/formats/openai.js';
import { tempDir, tensor } from '../../../fixtures/sae/folders.js';
import { randomArray, seededRandom } from '../../../fixtures/sae/random-bundle.js';

const d = 5;
const n = 40;

/** OpenAI's state dict keys, saved as safetensors under their blob layout `{site}/{version}/{layer}`. */
function openAiFile(site = 'resid_post_mlp', name = '8.safetensors') {
  const rand = seededRandom(8);
  const sd = {
    pre_bias: tensor([d], randomArray(d, rand, 0.3)),
    latent_bias: tensor([n], randomArray(n, rand, 0.2)),
    'encoder.weight': tensor([n, d], randomArray(n * d, rand)),
    'decoder.weight': tensor([d, n], randomArray(d * n, rand)),
    stats_last_nonzero: tensor([n], new Float32Array(n)),
  };
  const dir = path.join(tempDir(), site, 'v5_32k');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeSafetensors(file, sd);
  return { file, sd };
}

/** OpenAI model.py: LN (torch's unbiased std), TopK(ReLU) of encoder(x − pre_bias) + latent_bias, decode, undo LN. */
function openAiReference(sd: ReturnType<typeof openAiFile>['sd'], x: number[], k: number): number[] {
  const mu = x.reduce((a, b) => a + b, 0) / d;
  const std = Math.sqrt(x.reduce((a, b) => a + (b - mu) ** 2, 0) / (d - 1));
  const xn = x.map((v) => (v - mu) / (std + 1e-5));
  const [pre, lat, enc, dec] = [sd.pre_bias, sd.latent_bias, sd['encoder.weight'], sd['decoder.weight']].map((t) => t.data as Float32Array);
  const acts = Array.from({ length: n }, (_, j) => xn.reduce((acc, v, i) => acc + (v - pre[i]) * enc[j * d + i], lat[j]));
  const z = new Array<number>(n).fill(0);
  for (const [v, j] of acts.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]).slice(0, k)) z[j] = Math.max(0, v);
  return Array.from({ length: d }, (_, i) => z.reduce((acc, a, j) => acc + a * dec[i * n + j], pre[i]) * std + mu);
}

describe('OpenAI sparse_autoencoder import', () => {
  it('reads a safetensors state dict with k 32, layer_norm input and the hook from its path', () => {
    const { file } = openAiFile();
    const { spec } = loadOpenAiSafetensors(file);
    expect(spec).toMatchObject({ architecture: 'topk', k: 32, dIn: d, dSae: n, normalizeActivations: 'layer_norm', hookName: 'blocks.8.hook_resid_post', applyBDecToInput: true });
    expect(hookNameFromOpenAiPath('/x/resid_post_attn/v5_128k/3.safetensors')).toBe('blocks.3.hook_resid_mid');
    expect(hookNameFromOpenAiPath('/x/resid_delta_mlp/v5_32k/0.safetensors')).toBe('blocks.0.hook_mlp_out');
  });

  it('reconstructs exactly as OpenAI model.py does', () => {
    const { file, sd } = openAiFile();
    const runner = createSaeRunner(loadOpenAiSafetensors(file, { k: 4 }));
    const rows = [1, 2].map((s) => Array.from(randomArray(d, seededRandom(s), 3, 1)));
    const x = tf.tensor2d(rows);
    const out = runner.reconstruct(x).arraySync();
    rows.forEach((row, t) => openAiReference(sd, row, 4).forEach((v, i) => expect(out[t][i]).toBeCloseTo(v, 4)));
    x.dispose();
    runner.dispose();
  });

  it('refuses pickled .pt files, pointing to the SAELens mirror', () => {
    const file = path.join(tempDir(), '8.pt');
    writeFileSync(file, 'not really a pickle');
    expect(() => loadOpenAiSafetensors(file)).toThrow(/pickled PyTorch file; sae-explorer never unpickles.*gpt2-small-resid-post-v5-32k/);
  });

  it('asks for the hook when the path does not say it', () => {
    const { file } = openAiFile('somewhere', 'sae.safetensors');
    expect(() => loadOpenAiSafetensors(file)).toThrow(/cannot tell which hook this OpenAI SAE reads; pass the hook name/);
    expect(loadOpenAiSafetensors(file, { hookName: 'blocks.2.hook_resid_mid' }).spec.hookName).toBe('blocks.2.hook_resid_mid');
  });
});
