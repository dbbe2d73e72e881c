import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { loadSaeLens, saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { saveSparsify } from '../../../src-main/sae/formats/sparsify.js';
import { randomBundle } from '../../fixtures/sae/random-bundle.js';
import { expectSameFunction } from '../../fixtures/sae/same-function.js';
import { startHubServer } from '../../fixtures/hub-server.js';
import { fakeReleaseRepo } from '../../fixtures/sae/releases.js';
import { findRelease, RELEASES } from '../../../src-main/sae/releases/registry.js';

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

  it('round-trips through sparsify: export, then import, encodes and decodes as the original, normalisation folded', async () => {
    const bundle = randomBundle({ architecture: 'topk', dIn: 16, dSae: 32, k: 4, hookName: 'blocks.0.hook_resid_post', normalizeActivations: 'expected_average_only_in', normScalingFactor: 3, applyBDecToInput: false, seed: 9 });
    const sae = path.join(root, 'scaled');
    saveSaeLens(sae, bundle);
    const run = path.join(root, 'scaled-run');
    expect(await runCli('sae', 'export', '--sae', sae, '--format', 'sparsify', '--out', run)).toMatchObject({ code: 0, stderr: '' });
    const back = path.join(root, 'scaled-back');
    expect(await runCli('sae', 'import', path.join(run, 'h.0'), '--out', back)).toMatchObject({ code: 0, stderr: '' });
    expectSameFunction(loadSaeLens(sae), loadSaeLens(back), 'sae export --format sparsify, then sae import');
    const normed = path.join(root, 'normed');
    saveSaeLens(normed, randomBundle({ architecture: 'topk', dIn: 16, dSae: 32, k: 4, hookName: 'blocks.0.hook_resid_post', normalizeActivations: 'layer_norm' }));
    const refused = await runCli('sae', 'export', '--sae', normed, '--format', 'sparsify', '--out', path.join(root, 'normed-run'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^sae-explorer: sparsify encodes the raw activation with fixed weights, but this SAE scales each token by its own mean and standard deviation \(layer_norm\).*export it as saelens instead\n$/);
    expect(existsSync(path.join(root, 'normed-run'))).toBe(false);
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

describe('sae-explorer sae import --release', () => {
  it('downloads a release by name into the HF cache and writes its families under --out, saying its caveats', async () => {
    const release = findRelease('gpt2-small-res-jb');
    const server = await startHubServer({ models: { [release.repoId]: fakeReleaseRepo(release, 6, { layers: [11] }) } });
    const saved = { endpoint: process.env.HF_ENDPOINT, cache: process.env.HF_HUB_CACHE, offline: process.env.HF_HUB_OFFLINE };
    process.env.HF_ENDPOINT = server.url;
    process.env.HF_HUB_CACHE = path.join(root, 'release-cache');
    delete process.env.HF_HUB_OFFLINE;
    try {
      const out = path.join(root, 'release-saes');
      const result = await runCli('sae', 'import', '--release', 'gpt2-small-res-jb', '--layers', '11', '--out', out);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        `imported gpt2-small-res-jb blocks.11.hook_resid_pre (standard, none input, centring folded) sizes 192 -> ${path.join(out, 'gpt2-small-res-jb.blocks.11.hook_resid_pre')}\n` +
          `imported gpt2-small-res-jb blocks.11.hook_resid_post (standard, none input, centring folded) sizes 192 -> ${path.join(out, 'gpt2-small-res-jb.blocks.11.hook_resid_post')}\n`,
      );
      expect(result.stderr).toContain('note: Trained on TransformerLens\'s processed GPT-2 (center_writing_weights)');
      expect(readdirSync(out).sort()).toEqual(['gpt2-small-res-jb.blocks.11.hook_resid_post', 'gpt2-small-res-jb.blocks.11.hook_resid_pre']);
      expect(readdirSync(path.join(out, 'gpt2-small-res-jb.blocks.11.hook_resid_pre')).sort()).toEqual(['192', 'family.json']);
      expect(readdirSync(path.join(root, 'release-cache'))).toContain('models--jbloom--GPT2-Small-SAEs-Reformatted');
    } finally {
      await server.close();
      for (const [key, value] of [['HF_ENDPOINT', saved.endpoint], ['HF_HUB_CACHE', saved.cache], ['HF_HUB_OFFLINE', saved.offline]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('refuses an unknown release with the list of known ones, and layers outside it with the valid ones', async () => {
    const out = path.join(root, 'never-release');
    const unknown = await runCli('sae', 'import', '--release', 'gpt2-small-res-jb-splitting', '--out', out);
    expect(unknown).toEqual({ code: 1, stdout: '', stderr: `sae-explorer: unknown release "gpt2-small-res-jb-splitting"; known releases: ${RELEASES.map((r) => r.name).join(', ')}\n` });
    const layers = await runCli('sae', 'import', '--release', 'gpt2-small-res-jb-feature-splitting', '--layers', '8,10', '--out', out);
    expect(layers).toEqual({ code: 1, stdout: '', stderr: 'sae-explorer: gpt2-small-res-jb-feature-splitting has no layer 10; its layers are 8\n' });
    const word = await runCli('sae', 'import', '--release', 'gpt2-small-res-jb', '--layers', 'eight', '--out', out);
    expect(word.stderr).toBe('sae-explorer: --layers "eight": "eight" is not a block number; expected e.g. 0,8\n');
    const both = await runCli('sae', 'import', 'some/folder', '--release', 'gpt2-small-res-jb', '--out', out);
    expect(both.stderr).toBe('sae-explorer: sae import takes either SRC / --hf-repo or --release, not both\n');
    const hook = await runCli('sae', 'import', '--release', 'gpt2-small-res-jb', '--hook', 'blocks.8.hook_resid_post', '--out', out);
    expect(hook.stderr).toBe('sae-explorer: --hook applies to a single SAE import; a --release says each SAE\'s hook and k itself\n');
    const layersAlone = await runCli('sae', 'import', 'some/folder', '--layers', '8', '--out', out);
    expect(layersAlone.stderr).toBe('sae-explorer: --layers selects blocks of a --release; a single SAE import has none\n');
    expect(existsSync(out)).toBe(false);
  });
});
