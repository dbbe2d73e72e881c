// The whole pipeline through the contract's handlers on a tiny model: create the model, train a
// family (pausing and resuming it), harvest it with UMAP, then browse and inspect its features.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiEvent, ApiMethod, JobInfo, MapBasis, ParamsOf, ResultOf } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { decodeFeatureMap } from '../../../src-shared/feature-map.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-pipeline-'));
const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });
const events: ApiEvent[] = [];
dispatcher.subscribe((event) => events.push(event));
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

async function call<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const response = await dispatcher.call(method, params);
  if (!response.ok) throw new Error(`${method}: ${response.error.code}: ${response.error.message}`);
  return response.result as ResultOf<M>;
}

async function finished(jobId: string): Promise<JobInfo> {
  for (;;) {
    const job = (await call('jobs.list', {})).find((j) => j.id === jobId)!;
    if (['done', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const MODEL = 'tiny';
const TRAIN = { model: MODEL, dataset: 'embedded:sotu', hook: 'blocks.0.hook_resid_post', latents: [16, 32], k: 4, tokens: 2048, batch: 512, evalTokens: 0 };

describe('pipeline through the handlers', () => {
  it('trains a family as a job with progress per size, pausing and resuming it', async () => {
    await call('workspace.createTinyModel', { name: MODEL, layers: 1, dModel: 16, heads: 2, ctx: 64 });
    const { jobId } = await call('training.start', { ...TRAIN, family: 'fam' });
    expect((await call('jobs.pause', { jobId })).state).toBe('paused');
    // The trainer stops (checkpointing if it had begun); the job then waits until resumed.
    for (let i = 0; events.every((e) => e.type !== 'job.log' || !e.message.startsWith('training stopped')); i++) {
      if (i > 1200) throw new Error('the paused trainer never stopped');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await call('jobs.list', {}))[0]!.state).toBe('paused');
    await call('jobs.resume', { jobId });
    const job = await finished(jobId);
    expect(job.state).toBe('done');
    expect(job.result!.wrote).toEqual(['sae:fam/16', 'sae:fam/32']);
    expect(job.result!.summary.steps).toBe(4);
    const progress = events.flatMap((e) => (e.type === 'job.progress' && e.jobId === jobId ? [e.progress] : []));
    expect(progress.at(-1)).toMatchObject({ done: 2048, total: 2048, unit: 'tokens', phase: 'training' });
    expect(Object.keys(progress.at(-1)!.series)).toEqual(['16', '32']);
    const l0 = progress.at(-1)!.series['16']!.l0!;
    expect(l0 > 3 && l0 <= 4).toBe(true);

    const listing = await call('workspace.list', {});
    expect(listing.families).toMatchObject([{ id: 'fam', sizes: [16, 32], saes: ['fam/16', 'fam/32'], hookName: TRAIN.hook }]);
  });

  it('refuses a second family of the same name, and cancels a queued training', async () => {
    await expect(call('training.start', { ...TRAIN, family: 'fam' })).rejects.toThrow(/conflict: .*family "fam" already exists/);
    const blocker = await call('harvest.start', { model: MODEL, family: 'fam', dataset: 'embedded:sotu', tokens: 600 });
    const queued = await call('training.start', { ...TRAIN, family: 'never' });
    expect((await call('jobs.cancel', queued)).state).toBe('cancelled');
    const harvest = await finished(blocker.jobId);
    expect(harvest.state).toBe('done');
    expect(harvest.result).toMatchObject({ wrote: ['db:features.sqlite'], summary: { umap_points: 48 } });
    expect((harvest.result as { summary: Record<string, number> }).summary.umap_activation_points).toBeGreaterThan(0);
  });

  it('browses the harvested features: list, page, map and search', async () => {
    const list = await call('features.list', { model: MODEL, sae: 'fam/16', sort: 'density' });
    expect(list.total).toBe(16);
    expect(list.rows.map((r) => r.density)).toEqual([...list.rows.map((r) => r.density)].sort((a, b) => b - a));
    const latent = list.rows[0]!.latent;

    const page = await call('features.page', { model: MODEL, sae: 'fam/16', latent });
    expect(page.id).toEqual({ model: MODEL, sae: 'fam/16', latent });
    expect(page.density).toBe(list.rows[0]!.density);
    expect(page.top.length).toBeGreaterThan(0);
    const top = page.top[0]!;
    expect(top.tokenStrings).toHaveLength(top.tokens.length);
    expect(top.acts[top.maxIndex]).toBe(Math.max(...top.acts));
    expect(page.relatives.every((n) => n.sae === 'fam/32')).toBe(true);
    expect(page.neighbors.every((n) => n.sae === 'fam/16')).toBe(true);
    expect(page.mapPoint).not.toBeNull();

    const map = decodeFeatureMap(await call('features.map', { model: MODEL, family: 'fam' }));
    expect(map.saes).toEqual(['fam/16', 'fam/32']);
    expect(map.sizes).toEqual([16, 32]);
    expect([map.sae.length, map.latent.length, map.x.length, map.z.length]).toEqual([48, 48, 48, 48]);
    const i = map.sae.findIndex((s, j) => s === 0 && map.latent[j] === latent);
    expect([map.x[i], map.y[i], map.z[i]]).toEqual([page.mapPoint!.x, page.mapPoint!.y, page.mapPoint!.z]);
    // The harvest job maps both bases; the map sent by default is the decoder's.
    expect([map.basis, map.bases]).toEqual(['decoder', ['decoder', 'activation']]);
    const byActivation = decodeFeatureMap(await call('features.map', { model: MODEL, family: 'fam', basis: 'activation' }));
    expect(byActivation.basis).toBe('activation');
    const fired = (await call('features.list', { model: MODEL, sae: 'fam/16', sort: 'density', limit: 16 })).rows.filter((r) => r.density > 0).map((r) => r.latent);
    expect(Array.from(byActivation.latent.filter((_, j) => byActivation.sae[j] === 0))).toEqual([...fired].sort((a, b) => a - b));
    await expect(call('features.map', { model: MODEL, family: 'fam', basis: 'tokens' as MapBasis })).rejects.toThrow(/bad_request: .*basis/);

    const word = list.rows[0]!.topTokens[0]!;
    const hits = await call('features.search', { query: word, sae: 'fam/16' });
    expect(hits.some((h) => h.id.latent === latent && h.id.sae === 'fam/16' && h.id.model === MODEL)).toBe(true);
  });

  it('inspects a prompt: top latents per token and one latent everywhere', async () => {
    const result = await call('inspect.prompt', { model: MODEL, sae: 'fam/16', text: 'Hello world', latent: 3, topPerToken: 2 });
    expect(result.tokens.map((t) => [t.id, t.token])).toEqual([
      [15496, 'Hello'],
      [995, '·world'],
    ]);
    expect(result.tokens.every((t) => t.top.length <= 2)).toBe(true);
    expect(result.latentActs).toHaveLength(2);
    const again = await call('inspect.prompt', { model: MODEL, sae: 'fam/16', text: 'Hello world', latent: 3, topPerToken: 2 });
    expect(again).toEqual(result);
    await expect(call('inspect.prompt', { model: MODEL, sae: 'fam/16', text: 'x', latent: 16 })).rejects.toThrow(/bad_request: .*latent 16 is out of range/);
  });

  it('a copy of the workspace browses its own harvest, and the original\'s features keep theirs', async () => {
    const copy = mkdtempSync(path.join(tmpdir(), 'sae-pipeline-copy-'));
    cpSync(root, copy, { recursive: true });
    const other = new Dispatcher({ workspace: copy, warn: () => {} });
    try {
      const response = await other.call('features.page', { model: MODEL, sae: 'fam/32', latent: 0 });
      expect(response.ok && (response.result as ResultOf<'features.page'>).id).toEqual({ model: MODEL, sae: 'fam/32', latent: 0 });
      const map = await other.call('features.map', { model: MODEL, family: 'fam' });
      expect(map.ok && (map.result as ResultOf<'features.map'>).saes).toEqual(['fam/16', 'fam/32']);
    } finally {
      await other.close();
      rmSync(copy, { recursive: true, force: true });
    }
    expect((await call('features.page', { model: MODEL, sae: 'fam/32', latent: 0 })).id.latent).toBe(0);
  });
});
