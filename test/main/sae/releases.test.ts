// The public releases by name: the registry's lookups and refusals, the centring correction of the
// TransformerLens-trained releases (against running the original SAE on centred activations), and
// importing releases from a local Hub serving files in the real repos' layout, scaled down.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { scanWorkspace } from '../../../src-main/jobs/workspace/scan.js';
import { WorkspaceLayout } from '../../../src-main/jobs/workspace/layout.js';
import { loadSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { createSaeRunner } from '../../../src-main/sae/inference.js';
import { foldResidualCentring } from '../../../src-main/sae/releases/centring.js';
import { importRelease } from '../../../src-main/sae/releases/import.js';
import { findRelease, planReleaseFamilies, RELEASES, selectReleaseSaes } from '../../../src-main/sae/releases/registry.js';
import type { SaeBundle } from '../../../src-main/sae/types.js';
import { startHubServer, type HubServer } from '../../fixtures/hub-server.js';
import { randomArray, randomBundle, seededRandom } from '../../fixtures/sae/random-bundle.js';
import { fakeReleaseRepo } from '../../fixtures/sae/releases.js';

describe('the release registry', () => {
  it('knows the GPT-2 small releases by SAELens name, with their repos', () => {
    const byName = Object.fromEntries(RELEASES.map((r) => [r.name, r.repoId]));
    expect(byName).toMatchObject({
      'gpt2-small-res-jb': 'jbloom/GPT2-Small-SAEs-Reformatted',
      'gpt2-small-res-jb-feature-splitting': 'jbloom/GPT2-Small-Feature-Splitting-Experiment-Layer-8',
      'gpt2-small-resid-post-v5-32k': 'jbloom/GPT2-Small-OAI-v5-32k-resid-post-SAEs',
      'gpt2-small-resid-post-v5-128k': 'jbloom/GPT2-Small-OAI-v5-128k-resid-post-SAEs',
      'gpt2-small-mlp-out-v5-32k': 'jbloom/GPT2-Small-OAI-v5-32k-mlp-out-SAEs',
      'gpt2-small-attn-out-v5-128k': 'jbloom/GPT2-Small-OAI-v5-128k-attn-out-SAEs',
    });
    expect(findRelease('gpt2-small-resid-post-v5-32k').saes[8]).toEqual({ id: 'blocks.8.hook_resid_post', folder: 'v5_32k_layer_8.pt', layer: 8, hookName: 'blocks.8.hook_resid_post', dSae: 32_768 });
    expect(findRelease('gpt2-small-mlp-out-v5-128k').saes[3]).toMatchObject({ folder: 'v5_128k_layer_3', hookName: 'blocks.3.hook_mlp_out', dSae: 131_072 });
  });

  it('refuses an unknown name, listing every known release', () => {
    expect(() => findRelease('gpt2-small-res')).toThrow(`unknown release "gpt2-small-res"; known releases: ${RELEASES.map((r) => r.name).join(', ')}`);
  });

  it('refuses layers outside the release, naming the valid ones', () => {
    const splitting = findRelease('gpt2-small-res-jb-feature-splitting');
    expect(() => selectReleaseSaes(splitting, [8, 9])).toThrow('gpt2-small-res-jb-feature-splitting has no layer 9; its layers are 8');
    expect(() => selectReleaseSaes(findRelease('gpt2-small-res-jb'), [12])).toThrow('gpt2-small-res-jb has no layer 12; its layers are 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11');
  });

  it('makes the feature-splitting ladder one family of eight sizes, and a per-layer release one family per hook', () => {
    const splitting = findRelease('gpt2-small-res-jb-feature-splitting');
    const [family, ...rest] = planReleaseFamilies(splitting, selectReleaseSaes(splitting));
    expect(rest).toEqual([]);
    expect(family.id).toBe('gpt2-small-res-jb-feature-splitting');
    expect(family.saes.map((s) => s.dSae)).toEqual([768, 1536, 3072, 6144, 12_288, 24_576, 49_152, 98_304]);
    const resJb = findRelease('gpt2-small-res-jb');
    expect(planReleaseFamilies(resJb, selectReleaseSaes(resJb, [11])).map((f) => f.id)).toEqual([
      'gpt2-small-res-jb.blocks.11.hook_resid_pre',
      'gpt2-small-res-jb.blocks.11.hook_resid_post',
    ]);
  });
});

describe('folding TransformerLens\'s residual centring into an SAE', () => {
  const TOKENS = 7;

  /** x with each token's mean over d_model removed: what TransformerLens's processed GPT-2 hooks. */
  function centred(x: tf.Tensor2D): tf.Tensor2D {
    return tf.sub(x, tf.mean(x, 1, true)) as tf.Tensor2D; // [tokens, dIn]
  }

  function check(bundle: SaeBundle): void {
    const rand = seededRandom(11);
    // A large shared offset per token, as GPT-2's residual stream has, so centring matters.
    const x = tf.tidy(() => tf.add(tf.tensor2d(randomArray(TOKENS * bundle.spec.dIn, rand), [TOKENS, bundle.spec.dIn]), tf.tensor2d(randomArray(TOKENS, rand, 3), [TOKENS, 1])) as tf.Tensor2D); // [tokens, dIn]
    const original = createSaeRunner(bundle);
    const folded = createSaeRunner(foldResidualCentring(bundle));
    try {
      const onCentred = tf.tidy(() => original.encode(centred(x)).arraySync());
      const raw = tf.tidy(() => folded.encode(x).arraySync());
      expect(onCentred.flat().some((v) => v > 0)).toBe(true);
      raw.flat().forEach((v, i) => expect(v).toBeCloseTo(onCentred.flat()[i], 4));
      // Without the fold the SAE reads the offset as signal: the correction is not a no-op.
      const unfolded = tf.tidy(() => original.encode(x).arraySync());
      expect(Math.max(...unfolded.flat().map((v, i) => Math.abs(v - onCentred.flat()[i])))).toBeGreaterThan(0.1);
      // Reconstructions: the original's, projected on the centred subspace.
      const expected = tf.tidy(() => centred(original.reconstruct(centred(x))).arraySync());
      const got = tf.tidy(() => folded.reconstruct(x).arraySync());
      got.flat().forEach((v, i) => expect(v).toBeCloseTo(expected.flat()[i], 4));
    } finally {
      original.dispose();
      folded.dispose();
      x.dispose();
    }
  }

  it('gives a ReLU SAE on raw activations the latents the original gives on centred ones', () => {
    check(randomBundle({ architecture: 'standard', dIn: 6, dSae: 12, seed: 3 }));
  });

  it('does the same for a top-k SAE and one that does not subtract b_dec from its input', () => {
    check(randomBundle({ architecture: 'topk', dIn: 6, dSae: 12, k: 3, seed: 4 }));
    check(randomBundle({ architecture: 'standard', dIn: 6, dSae: 12, seed: 5, applyBDecToInput: false }));
  });

  it('refuses SAEs whose input normalisation it cannot fold through', () => {
    expect(() => foldResidualCentring(randomBundle({ architecture: 'topk', normalizeActivations: 'layer_norm', k: 3 }))).toThrow('normalize_activations layer_norm');
  });
});

describe('importRelease from a Hub laid out like the real repos', () => {
  // 768 / 128: every release's width scales to whole latents (32,768 → 256).
  const D_IN = 6;
  const ENV_KEYS = ['HF_HUB_CACHE', 'HF_ENDPOINT', 'HF_HUB_OFFLINE'] as const;
  let base: string;
  let hub: HubServer;
  let savedEnv: Record<string, string | undefined>;
  const splitting = findRelease('gpt2-small-res-jb-feature-splitting');
  const v5 = findRelease('gpt2-small-resid-post-v5-32k');
  const splittingRepo = fakeReleaseRepo(splitting, D_IN);
  const v5Repo = fakeReleaseRepo(v5, D_IN, { layers: [3, 4] });

  beforeEach(async () => {
    savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
    base = mkdtempSync(path.join(tmpdir(), 'sae-release-'));
    hub = await startHubServer({ models: { [splitting.repoId]: splittingRepo, [v5.repoId]: v5Repo } });
    process.env.HF_HUB_CACHE = path.join(base, 'cache');
    process.env.HF_ENDPOINT = hub.url;
    delete process.env.HF_HUB_OFFLINE;
  });

  afterEach(async () => {
    await hub.close();
    rmSync(base, { recursive: true, force: true });
    for (const k of ENV_KEYS) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  });

  it('writes the feature-splitting ladder as one family of eight sizes, centring folded, listed by the workspace', async () => {
    const layout = new WorkspaceLayout(path.join(base, 'workspace'));
    layout.ensure();
    const progress: Array<[number, number]> = [];
    const imported = await importRelease(splitting.name, { out: layout.dir('saes'), onProgress: (done, total) => progress.push([done, total]) });

    const sizes = [6, 12, 24, 48, 96, 192, 384, 768];
    const familyDir = path.join(layout.dir('saes'), 'gpt2-small-res-jb-feature-splitting');
    expect(imported.families).toEqual([{ id: 'gpt2-small-res-jb-feature-splitting', path: familyDir, hookName: 'blocks.8.hook_resid_pre', sizes }]);
    expect(imported.commit).toBe(splittingRepo.commit);
    const bytes = Object.values(splittingRepo.files).reduce((n, f) => n + Buffer.byteLength(f), 0);
    expect(progress.at(-1)).toEqual([bytes, bytes]);

    // Into the Hugging Face cache, in the repo's own layout.
    const snapshot = path.join(base, 'cache', 'models--jbloom--GPT2-Small-Feature-Splitting-Experiment-Layer-8', 'snapshots', splittingRepo.commit);
    expect(readdirSync(path.join(snapshot, 'blocks.8.hook_resid_pre_768')).sort()).toEqual(['cfg.json', 'sae_weights.safetensors', 'sparsity.safetensors']);

    const listing = scanWorkspace(layout);
    expect(listing.families).toEqual([expect.objectContaining({ id: 'gpt2-small-res-jb-feature-splitting', modelName: 'gpt2', hookName: 'blocks.8.hook_resid_pre', sizes })]);
    expect(listing.saes.map((s) => s.id)).toEqual(sizes.map((n) => `gpt2-small-res-jb-feature-splitting/${n}`));

    const family = JSON.parse(readFileSync(path.join(familyDir, 'family.json'), 'utf8'));
    expect(family).toMatchObject({ model: 'gpt2', hook: 'blocks.8.hook_resid_pre', sizes, saes: sizes.map((n) => ({ d_sae: n, path: String(n) })) });
    expect(family.release).toMatchObject({ name: splitting.name, repo: splitting.repoId, commit: splittingRepo.commit, centring_folded: true, caveats: splitting.caveats });
    expect(family.release.caveats[0]).toContain('center_writing_weights');

    const written = loadSaeLens(path.join(familyDir, '48'));
    const downloaded = loadSaeLens(path.join(snapshot, 'blocks.8.hook_resid_pre_6144'));
    const expected = foldResidualCentring(downloaded);
    expect(written.spec).toMatchObject({ architecture: 'standard', dIn: D_IN, dSae: 48, hookName: 'blocks.8.hook_resid_pre', modelName: 'gpt2', contextSize: 128 });
    expect(Array.from(written.weights.W_enc)).toEqual(Array.from(expected.weights.W_enc));
    expect(Array.from(written.weights.b_enc)).toEqual(Array.from(expected.weights.b_enc));
    expect(Array.from(written.weights.b_dec)).not.toEqual(Array.from(downloaded.weights.b_dec));
    expect(written.logSparsity).toEqual(downloaded.logSparsity);
  });

  it('imports the chosen layers of an OpenAI v5 mirror as top-k layer_norm SAEs, one family per hook, uncorrected', async () => {
    const out = path.join(base, 'saes');
    const imported = await importRelease(v5.name, { out, layers: [4] });
    expect(imported.families.map((f) => [f.id, f.sizes])).toEqual([['gpt2-small-resid-post-v5-32k.blocks.4.hook_resid_post', [256]]]);
    const sae = loadSaeLens(path.join(imported.families[0].path, String(imported.families[0].sizes[0])));
    expect(sae.spec).toMatchObject({ architecture: 'topk', k: 32, normalizeActivations: 'layer_norm', hookName: 'blocks.4.hook_resid_post', modelName: 'gpt2', contextSize: 64, prependBos: false });
    const snapshot = path.join(base, 'cache', 'models--jbloom--GPT2-Small-OAI-v5-32k-resid-post-SAEs', 'snapshots', v5Repo.commit);
    expect(Array.from(sae.weights.W_enc)).toEqual(Array.from(loadSaeLens(path.join(snapshot, 'v5_32k_layer_4.pt')).weights.W_enc));
    // Only the asked layer was fetched; the mirror has no sparsity file, which is remembered, not an error.
    expect(hub.requests.some((r) => r.path.includes('v5_32k_layer_3.pt'))).toBe(false);
    expect(existsSync(path.join(base, 'cache', 'models--jbloom--GPT2-Small-OAI-v5-32k-resid-post-SAEs', '.no_exist', v5Repo.commit, 'v5_32k_layer_4.pt', 'sparsity.safetensors'))).toBe(true);
  });

  it('resumes a download cut midway, fetching only the missing bytes', async () => {
    const out = path.join(base, 'saes');
    const weights = 'v5_32k_layer_3.pt/sae_weights.safetensors';
    hub.dropNextGetMidway(weights);
    await expect(importRelease(v5.name, { out, layers: [3] })).rejects.toThrow('run again to resume');
    expect(existsSync(path.join(out, 'gpt2-small-resid-post-v5-32k.blocks.3.hook_resid_post'))).toBe(false);
    const imported = await importRelease(v5.name, { out, layers: [3] });
    expect(imported.families[0].sizes).toEqual([256]);
    const ranged = hub.requests.filter((r) => r.path.startsWith('/cdn/') && r.range !== undefined);
    expect(ranged.length).toBe(1);
    expect(Number(/^bytes=(\d+)-$/.exec(ranged[0].range!)![1])).toBeGreaterThan(0);
  });

  it('refuses, before downloading, a family folder that exists, and a file that is not what the registry says', async () => {
    const out = path.join(base, 'saes');
    mkdirSync(path.join(out, 'gpt2-small-res-jb-feature-splitting'), { recursive: true });
    await expect(importRelease(splitting.name, { out })).rejects.toThrow(`${path.join(out, 'gpt2-small-res-jb-feature-splitting')} already exists; remove it or import into another folder`);
    expect(hub.requests).toEqual([]);

    await hub.close();
    const wrongHook = fakeReleaseRepo(v5, D_IN, { layers: [3] });
    const cfgPath = 'v5_32k_layer_3.pt/cfg.json';
    wrongHook.files[cfgPath] = String(wrongHook.files[cfgPath]).replace('blocks.3.hook_resid_post', 'blocks.3.hook_resid_mid');
    hub = await startHubServer({ models: { [v5.repoId]: wrongHook } });
    process.env.HF_ENDPOINT = hub.url;
    await expect(importRelease(v5.name, { out, layers: [3] })).rejects.toThrow(
      'jbloom/GPT2-Small-OAI-v5-32k-resid-post-SAEs/v5_32k_layer_3.pt: hook is "blocks.3.hook_resid_mid", but release gpt2-small-resid-post-v5-32k lists "blocks.3.hook_resid_post"',
    );
    expect(existsSync(path.join(out, 'gpt2-small-resid-post-v5-32k.blocks.3.hook_resid_post'))).toBe(false);
  });

  it('checks every SAE against the model it will run on', async () => {
    await expect(importRelease(v5.name, { out: path.join(base, 'saes'), layers: [4], model: { nEmbd: 16, nLayer: 12 } })).rejects.toThrow(
      'v5_32k_layer_4.pt: SAE d_in is 6 but hook "blocks.4.hook_resid_post" of this model (d_model 16, 12 layers) has width 16',
    );
  });
});
