// family.tree through the dispatcher on a planted family: the 16-latent SAE splits each latent of
// the 8-latent one in two (decoder = parent + noise), harvested so the nodes carry density and tokens.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiMethod, FamilyTreeNode, JobInfo, ParamsOf, ResultOf } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { fillNormal, seededRandom } from '../../../src-shared/random.js';
import { D_MODEL, randomTopKSae } from '../features/harvest-fixtures.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-family-'));
const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });

async function call<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const response = await dispatcher.call(method, params);
  if (!response.ok) throw new Error(`${method}: ${response.error.code}: ${response.error.message}`);
  return response.result as ResultOf<M>;
}

beforeAll(async () => {
  await call('workspace.createTinyModel', { name: 'tiny', layers: 2, dModel: D_MODEL, heads: 2, ctx: 64 });
  const parent = randomTopKSae(8, 3, 2);
  const child = randomTopKSae(16, 4, 2);
  const noise = fillNormal(new Float32Array(16 * D_MODEL), 0.15, seededRandom(5));
  for (let j = 0; j < 16; j++) {
    for (let k = 0; k < D_MODEL; k++) {
      const v = parent.weights.W_dec[(j >> 1) * D_MODEL + k]! + noise[j * D_MODEL + k]!;
      child.weights.W_dec[j * D_MODEL + k] = v;
      child.weights.W_enc[k * 16 + j] = v;
    }
  }
  const family = path.join(root, 'saes', 'fam');
  saveSaeLens(path.join(family, '8'), parent);
  saveSaeLens(path.join(family, '16'), child);
  writeFileSync(path.join(family, 'family.json'), JSON.stringify({ version: 1, hook: parent.spec.hookName, sizes: [8, 16], saes: [{ d_sae: 8, path: '8' }, { d_sae: 16, path: '16' }] }));
  const { jobId } = await call('harvest.start', { model: 'tiny', family: 'fam', dataset: 'embedded:sotu', tokens: 640, umap: false });
  for (;;) {
    const job = (await call('jobs.list', {})).find((j: JobInfo) => j.id === jobId)!;
    if (job.state === 'done') break;
    if (['failed', 'cancelled'].includes(job.state)) throw new Error(`harvest ${job.state}: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, 300_000);
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

describe('family.tree', () => {
  it('finds the planted children of a coarse latent, with co-occurrence, density and tokens', async () => {
    const tree = await call('family.tree', { model: 'tiny', sae: 'fam/8', latent: 3 });
    expect(tree.ancestors).toEqual([]);
    expect(tree.root).toMatchObject({ sae: 'fam/8', latent: 3, dSae: 8, cosine: 1, cooccurrence: null });
    expect(tree.root.density).toBeGreaterThanOrEqual(0);
    expect(tree.root.children.map((c: FamilyTreeNode) => c.latent).sort()).toEqual([6, 7]);
    for (const child of tree.root.children) {
      expect(child.sae).toBe('fam/16');
      expect(child.cosine).toBeGreaterThan(0.9);
      expect(child.cooccurrence).toBeGreaterThan(0);
      expect(child.cooccurrence).toBeLessThanOrEqual(1);
      expect(child.topTokens.length).toBeGreaterThan(0);
    }
    // The two halves of a split latent between them cover most of the tokens it fired on.
    const covered = tree.root.children.reduce((a: number, c: FamilyTreeNode) => a + c.cooccurrence!, 0);
    expect(covered).toBeGreaterThan(0.5);
  });

  it('walks up from a fine latent to its planted parent', async () => {
    const tree = await call('family.tree', { model: 'tiny', sae: 'fam/16', latent: 7 });
    expect(tree.ancestors.map((a: FamilyTreeNode) => [a.sae, a.latent])).toEqual([['fam/8', 3]]);
    expect(tree.root.children).toEqual([]);
  });

  it('refuses a latent out of range', async () => {
    await expect(call('family.tree', { model: 'tiny', sae: 'fam/8', latent: 8 })).rejects.toThrow(/bad_request: family.tree: latent 8 is out of range: fam\/8 has latents 0..7/);
  });
});
