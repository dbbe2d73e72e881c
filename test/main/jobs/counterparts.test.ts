// A checkpoints set through the dispatcher on a planted case: "step-1" is a copy of the final model
// whose SAE is the final SAE with its latents permuted, "step-0" an unrelated model and SAE. The set's
// harvest (each member on its own model) must match every live final latent to its planted
// counterpart with correlation ~1, count them as present at step-1 and hardly any at step-0; and the
// requests refuse what they cannot answer.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiMethod, JobInfo, ParamsOf, ResultOf } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import type { SaeBundle } from '../../../src-main/sae/types.js';
import { D_MODEL, randomTopKSae } from '../features/harvest-fixtures.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-counterparts-'));
const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });
const PERM = [5, 2, 7, 0, 3, 6, 1, 4];

async function call<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const response = await dispatcher.call(method, params);
  if (!response.ok) throw new Error(`${method}: ${response.error.code}: ${response.error.message}`);
  return response.result as ResultOf<M>;
}

/** Latent j of the result is latent perm[j] of `sae`. */
function permuted(sae: SaeBundle, perm: number[]): SaeBundle {
  const m = sae.spec.dSae;
  const W_enc = new Float32Array(D_MODEL * m);
  const W_dec = new Float32Array(m * D_MODEL);
  perm.forEach((from, j) => {
    for (let k = 0; k < D_MODEL; k++) {
      W_enc[k * m + j] = sae.weights.W_enc[k * m + from]!;
      W_dec[j * D_MODEL + k] = sae.weights.W_dec[from * D_MODEL + k]!;
    }
  });
  return { spec: sae.spec, weights: { ...sae.weights, W_enc, W_dec, b_enc: Float32Array.from(perm, (from) => sae.weights.b_enc[from]!) } };
}

beforeAll(async () => {
  await call('workspace.createTinyModel', { name: 'tiny', layers: 2, dModel: D_MODEL, heads: 2, ctx: 64, seed: 3 });
  await call('workspace.createTinyModel', { name: 'step-0', layers: 2, dModel: D_MODEL, heads: 2, ctx: 64, seed: 8 });
  cpSync(path.join(root, 'models', 'tiny'), path.join(root, 'models', 'step-1'), { recursive: true });
  const final = randomTopKSae(8, 3, 2);
  const set = path.join(root, 'saes', 'ckpt');
  saveSaeLens(path.join(set, 'step-0'), randomTopKSae(8, 50, 2));
  saveSaeLens(path.join(set, 'step-1'), permuted(final, PERM));
  saveSaeLens(path.join(set, 'final'), final);
  const member = (label: string, model: string) => ({ label, path: label, d_sae: 8, model, model_path: path.join(root, 'models', model) });
  writeFileSync(path.join(set, 'family.json'), JSON.stringify({ version: 3, kind: 'checkpoints', saes: [member('step-0', 'step-0'), member('step-1', 'step-1'), member('final', 'tiny')] }));
  saveSaeLens(path.join(root, 'saes', 'fam', '8'), final);
  writeFileSync(path.join(root, 'saes', 'fam', 'family.json'), JSON.stringify({ version: 1, saes: [{ d_sae: 8, path: '8' }] }));

  const { jobId } = await call('harvest.start', { model: 'tiny', family: 'ckpt', dataset: 'embedded:sotu', tokens: 1260 });
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

describe('checkpoints sets', () => {
  it('lists a checkpoints set with its members in order, and an old family as sizes', async () => {
    const { families } = await call('workspace.list', {});
    expect(families.find((f) => f.id === 'ckpt')).toMatchObject({ kind: 'checkpoints', labels: ['step-0', 'step-1', 'final'], models: ['step-0', 'step-1', 'tiny'], saes: ['ckpt/step-0', 'ckpt/step-1', 'ckpt/final'], modelName: 'tiny' });
    expect(families.find((f) => f.id === 'fam')).toMatchObject({ kind: 'sizes', labels: ['8'], sizes: [8] });
  });

  it('matches every live final latent to its planted counterpart at step-1, and hardly any at step-0', async () => {
    let live = 0;
    for (let latent = 0; latent < 8; latent++) {
      const view = await call('family.counterparts', { model: 'tiny', sae: 'ckpt/final', latent });
      expect(view.members.map((m) => [m.label, m.model])).toEqual([['step-0', 'step-0'], ['step-1', 'step-1'], ['final', 'tiny']]);
      expect(view.members[2]).toMatchObject({ counterparts: [], sharePresent: null, tokens: null });
      const best = view.members[1]!.counterparts[0]!;
      if (view.feature.density === 0) continue;
      live++;
      expect(best.latent).toBe(PERM.indexOf(latent));
      expect(best.correlation).toBeGreaterThan(0.999);
      // The same latent on the same tokens: the same top contexts, side by side.
      expect(best.top.map((c) => c.tokens)).toEqual(view.feature.top.map((c) => c.tokens));
    }
    expect(live).toBeGreaterThanOrEqual(4);
    const view = await call('family.counterparts', { model: 'tiny', sae: 'ckpt/final', latent: 0 });
    expect(view.threshold).toBe(0.7);
    expect(view.members[1]!.sharePresent).toBe(live / 8);
    expect(view.members[1]!.tokens).toBe(1260);
    expect(view.members[0]!.sharePresent).toBeLessThanOrEqual(0.25);
  });

  it('matches an early latent back to the final model', async () => {
    const early = PERM.findIndex((from) => from === 0);
    const view = await call('family.counterparts', { model: 'tiny', sae: 'ckpt/step-1', latent: early, limit: 1 });
    if (view.feature.density === 0) return expect(view.members[2]!.counterparts[0]!.correlation).toBe(0);
    expect(view.members[2]!.counterparts).toMatchObject([{ sae: 'ckpt/final', latent: 0 }]);
    expect(view.members[0]!.counterparts).toEqual([]);
  });

  it('refuses what it cannot answer', async () => {
    await expect(call('family.counterparts', { model: 'tiny', sae: 'fam/8', latent: 0 })).rejects.toThrow(/bad_request: family.counterparts: "fam\/8" is in a set of sizes/);
    await expect(call('family.tree', { model: 'tiny', sae: 'ckpt/final', latent: 0 })).rejects.toThrow(/bad_request: family.tree: "ckpt\/final" is in a checkpoints set.*family.counterparts/);
    await expect(call('family.counterparts', { model: 'tiny', sae: 'ckpt/final', latent: 8 })).rejects.toThrow(/bad_request: .*latent 8 is out of range: ckpt\/final has latents 0..7/);
    await expect(call('family.counterparts', { model: 'tiny', sae: 'ckpt/final', latent: 0, threshold: 2 })).rejects.toThrow(/bad_request/);
    await expect(call('harvest.start', { model: 'step-1', family: 'ckpt', dataset: 'embedded:sotu', tokens: 630 })).rejects.toThrow(/bad_request: harvest.start: "ckpt" is a checkpoints set whose final model is "tiny"/);
    const train = { model: 'tiny', dataset: 'embedded:sotu', hook: 'blocks.1.hook_resid_post', latents: [32], k: 4, tokens: 4096, family: 'new-set' };
    await expect(call('training.start', { ...train, latents: [32, 64], checkpoints: ['step-1'] })).rejects.toThrow(/bad_request: training.start: a checkpoints set trains one SAE per checkpoint: give one size/);
    await expect(call('training.start', { ...train, checkpoints: ['step-1', 'tiny'] })).rejects.toThrow(/bad_request: training.start: model "tiny" appears twice/);
    await expect(call('training.start', { ...train, checkpoints: ['step-9'] })).rejects.toThrow(/not_found: training.start: no model "step-9"/);
    await expect(call('training.start', { ...train, checkpoints: ['../x'] })).rejects.toThrow(/bad_request/);
  });
});
