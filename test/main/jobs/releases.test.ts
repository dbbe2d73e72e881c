// saes.releases and saes.importRelease through the dispatcher, against a local Hub serving the
// feature-splitting release in its real layout at width 6 (768 / 128): the download job writes one
// family of eight sizes, which the workspace lists and which then goes through harvest + UMAP,
// feature pages, the map and the splitting tree like a family trained here. A tiny 9-block GPT-2 named "gpt2" stands in
// for GPT-2 small, so the SAEs' hook (blocks.8.hook_resid_pre) exists.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiMethod, JobInfo, ParamsOf, ResultOf } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { decodeFeatureMap } from '../../../src-shared/feature-map.js';
import { findRelease, RELEASES } from '../../../src-main/sae/releases/registry.js';
import { startHubServer, type HubServer } from '../../fixtures/hub-server.js';
import { fakeReleaseRepo } from '../../fixtures/sae/releases.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-release-job-'));
const ENV_KEYS = ['HF_HUB_CACHE', 'HF_ENDPOINT', 'HF_HUB_OFFLINE'] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
const release = findRelease('gpt2-small-res-jb-feature-splitting');
const FAMILY = 'gpt2-small-res-jb-feature-splitting';
const SIZES = [6, 12, 24, 48, 96, 192, 384, 768];
let hub: HubServer;
let dispatcher: Dispatcher;

async function call<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const response = await dispatcher.call(method, params);
  if (!response.ok) throw new Error(`${method}: ${response.error.code}: ${response.error.message}`);
  return response.result as ResultOf<M>;
}

async function refusal(method: ApiMethod, params: unknown): Promise<{ code: string; message: string }> {
  const response = await dispatcher.call(method, params);
  if (response.ok) throw new Error(`${method} was accepted`);
  return response.error;
}

async function finished(jobId: string): Promise<JobInfo> {
  for (;;) {
    const job = (await call('jobs.list', {})).find((j) => j.id === jobId)!;
    if (['done', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  hub = await startHubServer({ models: { [release.repoId]: fakeReleaseRepo(release, 6) } });
  process.env.HF_HUB_CACHE = path.join(root, 'hf-cache');
  process.env.HF_ENDPOINT = hub.url;
  delete process.env.HF_HUB_OFFLINE;
  dispatcher = new Dispatcher({ workspace: path.join(root, 'workspace'), warn: () => {} });
  await call('workspace.createTinyModel', { name: 'gpt2', layers: 9, dModel: 6, heads: 2, ctx: 64 });
});

afterAll(async () => {
  await dispatcher.close();
  await hub.close();
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  rmSync(root, { recursive: true, force: true });
});

describe('saes.releases / saes.importRelease', () => {
  it('lists the releases with their hooks, normalisation, layers and caveats', async () => {
    const releases = await call('saes.releases', {});
    expect(releases.map((r) => r.name)).toEqual(RELEASES.map((r) => r.name));
    const splitting = releases.find((r) => r.name === FAMILY)!;
    expect(splitting).toMatchObject({ repoId: release.repoId, model: 'gpt2', architecture: 'standard', k: null, normalizeActivations: 'none', centringFolded: true, layers: [8] });
    expect(splitting.saes.map((s) => s.dSae)).toEqual([768, 1536, 3072, 6144, 12_288, 24_576, 49_152, 98_304]);
    expect(splitting.caveats[0]).toContain('center_writing_weights');
    expect(releases.find((r) => r.name === 'gpt2-small-attn-out-v5-32k')).toMatchObject({ architecture: 'topk', k: 32, normalizeActivations: 'layer_norm', centringFolded: false, layers: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] });
  });

  it('refuses unknown releases and layers outside one, naming what is valid', async () => {
    const unknown = await refusal('saes.importRelease', { release: 'gpt2-small-res-jb-fs' });
    expect(unknown).toEqual({ code: 'bad_request', message: `saes.importRelease: unknown release "gpt2-small-res-jb-fs"; known releases: ${RELEASES.map((r) => r.name).join(', ')}` });
    const layers = await refusal('saes.importRelease', { release: FAMILY, layers: [7] });
    expect(layers).toEqual({ code: 'bad_request', message: 'saes.importRelease: gpt2-small-res-jb-feature-splitting has no layer 7; its layers are 8' });
    expect(hub.requests).toEqual([]);
  });

  it('downloads the ladder as one family of eight sizes that harvest, feature pages, the map and the tree take like any other', async () => {
    const { jobId } = await call('saes.importRelease', { release: FAMILY });
    const job = await finished(jobId);
    expect([job.state, job.error]).toEqual(['done', null]);
    expect(job.kind).toBe('sae-release');
    expect(job.progress).toMatchObject({ unit: 'bytes' });
    expect(job.progress!.done).toBe(job.progress!.total);
    expect(job.result!.wrote).toEqual([`family:${FAMILY}`]);

    const listing = await call('workspace.list', {});
    expect(listing.families).toEqual([expect.objectContaining({ id: FAMILY, modelName: 'gpt2', hookName: 'blocks.8.hook_resid_pre', sizes: SIZES })]);
    expect(listing.saes.filter((s) => s.family === FAMILY).map((s) => [s.id, s.architecture, s.dIn])).toEqual(SIZES.map((n) => [`${FAMILY}/${n}`, 'standard', 6]));

    const again = await refusal('saes.importRelease', { release: FAMILY });
    expect(again.code).toBe('conflict');
    expect(again.message).toContain(`SAE family "${FAMILY}" already exists`);

    const harvest = await finished((await call('harvest.start', { model: 'gpt2', family: FAMILY, dataset: 'embedded:sotu', tokens: 630, top: 8 })).jobId);
    expect([harvest.state, harvest.error]).toEqual(['done', null]);
    const page = await call('features.page', { model: 'gpt2', sae: `${FAMILY}/768`, latent: 0 });
    expect(page.id).toEqual({ model: 'gpt2', sae: `${FAMILY}/768`, latent: 0 });
    expect(page.density).toBeGreaterThanOrEqual(0);
    expect(page.density).toBeLessThanOrEqual(1);
    const list = await call('features.list', { model: 'gpt2', sae: `${FAMILY}/6` });
    expect(list.total).toBe(6);
    const map = decodeFeatureMap(await call('features.map', { model: 'gpt2', family: FAMILY }));
    expect(map.sizes).toEqual(SIZES);
    expect(map.latent.length).toBe(SIZES.reduce((a, b) => a + b, 0));
    expect(map.x.every(Number.isFinite)).toBe(true);
    // The splitting tree spans all eight sizes, more than the shared SAE cache holds.
    // From the largest size up (no children to grow), with every ancestor kept.
    const tree = await call('family.tree', { model: 'gpt2', sae: `${FAMILY}/768`, latent: 5, minCosine: 0 });
    expect(tree.root).toMatchObject({ sae: `${FAMILY}/768`, latent: 5, dSae: 768, children: [] });
    expect(tree.ancestors.map((a) => a.dSae)).toEqual([384, 192, 96, 48, 24, 12, 6]);
  }, 300_000);
});
