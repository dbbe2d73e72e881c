import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { loadSaeLens, saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { saveSparsify } from '../../../src-main/sae/formats/sparsify.js';
import { randomBundle } from '../../fixtures/sae/random-bundle.js';

const root = mkdtempSync(path.join(tmpdir(), 'cli-sae-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));


const modelDir = createTinyModel(path.join(root, 'tiny'), { layers: 1, dModel: 16, heads: 2, ctx: 24, seed: 1 });

describe('sae-explorer sae import / export / info', () => {
  const source = path.join(root, 'run', 'h.0');
  saveSparsify(source, randomBundle({ architecture: 'topk', dIn: 16, dSae: 32, k: 4, hookName: 'blocks.0.hook_resid_post', seed: 2 }));

  it('imports a sparsify folder as a SAELens folder and prints one summary line', async () => {
    const out = path.join(root, 'imported');
    const result = await runCli('sae', 'import', source, '--out', out, '--model', modelDir);
    expect(result).toEqual({ code: 0, stderr: '', stdout: `imported sparsify topk SAE, d_in 16, d_sae 32, k 4, unknown blocks.0.hook_resid_post -> ${out}\n` });
    expect(readdirSync(out).sort()).toEqual(['cfg.json', 'sae_weights.safetensors']);
    expect(loadSaeLens(out).spec).toMatchObject({ architecture: 'topk', k: 4, hookName: 'blocks.0.hook_resid_post' });
  });

  it('prints JSON with --json', async () => {
    const result = await runCli('sae', 'import', source, '--out', path.join(root, 'imported-json'), '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ format: 'sparsify', architecture: 'topk', d_in: 16, d_sae: 32, k: 4, hook_name: 'blocks.0.hook_resid_post' });
  });

  it('fails with the mismatch and writes nothing when d_in does not fit the model', async () => {
    const wide = path.join(root, 'wide');
    saveSaeLens(wide, randomBundle({ architecture: 'topk', dIn: 8, hookName: 'blocks.0.hook_resid_post' }));
    const out = path.join(root, 'never');
    const result = await runCli('sae', 'import', wide, '--out', out, '--model', modelDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`sae-explorer: ${wide}: SAE d_in is 8 but hook "blocks.0.hook_resid_post" of this model (d_model 16, 1 layers) has width 16\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('exports to sparsify as OUT/<hookpoint> and describes an SAE with info', async () => {
    const sae = path.join(root, 'for-export');
    saveSaeLens(sae, randomBundle({ architecture: 'topk', dIn: 16, dSae: 32, k: 4, hookName: 'blocks.0.hook_mlp_out' }));
    const out = path.join(root, 'sparsify-run');
    const result = await runCli('sae', 'export', '--sae', sae, '--format', 'sparsify', '--out', out);
    expect(result.code).toBe(0);
    expect(readdirSync(path.join(out, 'h.0.mlp')).sort()).toEqual(['cfg.json', 'sae.safetensors']);
    const info = await runCli('sae', 'info', '--sae', path.join(out, 'h.0.mlp'), '--json');
    expect(JSON.parse(info.stdout)).toMatchObject({ format: 'sparsify', architecture: 'topk', d_sae: 32, hook_name: 'blocks.0.hook_mlp_out', eval: null });
    const nested = path.join(root, 'matryoshka-prefix');
    const prefix = randomBundle({ architecture: 'batchtopk', dIn: 16, dSae: 32, k: 4, hookName: 'blocks.0.hook_resid_post', withThreshold: true });
    saveSaeLens(nested, { ...prefix, spec: { ...prefix.spec, matryoshkaPrefixes: [32, 128] } });
    const nestedInfo = await runCli('sae', 'info', '--sae', nested, '--json');
    expect(JSON.parse(nestedInfo.stdout)).toMatchObject({ architecture: 'batchtopk', d_sae: 32, k: 4, matryoshka_prefixes: [32, 128] });
    const bad = await runCli('sae', 'export', '--sae', sae, '--format', 'onnx', '--out', out);
    expect(bad).toMatchObject({ code: 1, stderr: 'sae-explorer: --format must be saelens or sparsify, got "onnx"\n' });
  });
});

describe('sae-explorer sae eval', () => {
  it('prints the contract JSON keys and writes eval.json with --save', async () => {
    const sae = path.join(root, 'to-eval');
    const bundle = randomBundle({ architecture: 'topk', dIn: 16, dSae: 32, k: 4, hookName: 'blocks.0.hook_resid_post', seed: 5 });
    bundle.spec.contextSize = 16;
    saveSaeLens(sae, bundle);
    const result = await runCli('sae', 'eval', '--sae', sae, '--model', modelDir, '--dataset', 'sotu', '--tokens', '60', '--batch', '2', '--save', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const line = JSON.parse(result.stdout);
    expect(Object.keys(line)).toEqual(['d_sae', 'k', 'eval_fvu', 'l0', 'never_fired_frac', 'delta_lm_loss', 'ce_loss_score', 'kl_div', 'tokens', 'tokens_per_s']);
    expect(line).toMatchObject({ d_sae: 32, k: 4, tokens: 60 });
    // A top-k SAE fires at most k latents per token; a random one reconstructs badly but finitely.
    expect(line.l0).toBeGreaterThan(0);
    expect(line.l0).toBeLessThanOrEqual(4);
    expect(Number.isFinite(line.eval_fvu) && line.eval_fvu > 0).toBe(true);
    expect(line.kl_div).toBeGreaterThan(0);
    expect(line.tokens_per_s).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(path.join(sae, 'eval.json'), 'utf8'))).toMatchObject({ d_sae: 32, tokens: 60 });
  });
});
