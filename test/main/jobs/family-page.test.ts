// family.page through the dispatcher on hand-made families: a family of three sizes whose family.json
// records curves for two of them, with eval.json for all three and one size harvested into one of
// two databases; a family as trainers before curves wrote it; a checkpoints set; and the refusals.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { openStore } from '../../../src-main/store/open.js';
import { beginHarvest, finishHarvest, registerDataset, registerModel, registerSae } from '../../../src-main/store/writes.js';
import { randomTopKSae } from '../features/harvest-fixtures.js';
import { dispatcherCalls } from './dispatcher-calls.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-family-page-'));
const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });

const { call } = dispatcherCalls(dispatcher);

const SIZES = [8, 16, 32];
// FVU = 0.2 · n^−0.5: the fit must return exponent 0.5.
const evalFvu = (n: number) => 0.2 * n ** -0.5;
const curve = { tokens: [100, 200, 300, 400, 500, 600], train_fvu: [0.9, 0.5, 0.3, 0.3, 0.3, 0.3], l0: [3, 3, 3, 3, 3, 3], dead_frac: [0, 0, 0, 0.1, 0, 0] };

function writeEval(dir: string, fvu: number): void {
  writeFileSync(path.join(dir, 'eval.json'), JSON.stringify({ tokens: 400, eval_fvu: fvu, l0: 3, never_fired_frac: 0, delta_lm_loss: 0.01, ce_loss_score: 0.99, kl_div: 0.005 }));
}

beforeAll(() => {
  const fam = path.join(root, 'saes', 'fam');
  for (const n of SIZES) {
    saveSaeLens(path.join(fam, String(n)), randomTopKSae(n, n, 2));
    writeEval(path.join(fam, String(n)), evalFvu(n));
  }
  writeFileSync(
    path.join(fam, 'family.json'),
    JSON.stringify({
      version: 2,
      tokens: 600,
      saes: SIZES.map((n) => ({
        d_sae: n,
        path: String(n),
        train: { train_fvu: 0.3, l0: 3, dead_frac: 0 },
        eval: { eval_fvu: evalFvu(n) },
        ...(n === 32 ? {} : { history: curve, tokens_to_convergence: { tokens: 300, converged: true } }),
      })),
    }),
  );
  const old = path.join(root, 'saes', 'old');
  for (const n of [8, 16]) saveSaeLens(path.join(old, String(n)), randomTopKSae(n, n + 1, 2));
  writeFileSync(path.join(old, 'family.json'), JSON.stringify({ version: 1, saes: [{ d_sae: 8, path: '8', nmse: 0.1 }, { d_sae: 16, path: '16', nmse: 0.1 }] }));
  const ckpt = path.join(root, 'saes', 'ckpt');
  for (const label of ['step-1', 'final']) saveSaeLens(path.join(ckpt, label), randomTopKSae(8, 7, 2));
  const member = (label: string) => ({ label, path: label, d_sae: 8, model: label, model_path: path.join(root, 'models', label) });
  writeFileSync(path.join(ckpt, 'family.json'), JSON.stringify({ version: 3, kind: 'checkpoints', saes: [member('step-1'), member('final')] }));
  saveSaeLens(path.join(root, 'saes', 'lone'), randomTopKSae(8, 9, 2));

  // Two databases: a.sqlite holds fam/8 harvested and fam/16 mid-harvest; b.sqlite holds nothing of fam.
  for (const name of ['a.sqlite', 'b.sqlite']) {
    const db = openStore(path.join(root, 'db', name));
    if (name === 'a.sqlite') {
      const modelId = registerModel(db, { name: 'tiny' });
      const datasetId = registerDataset(db, 'sotu');
      for (const n of [8, 16]) {
        const saeId = registerSae(db, { path: path.join(fam, String(n)), modelId, hookName: 'blocks.0.hook_resid_post', architecture: 'topk', dIn: 4, dSae: n, k: 2 });
        beginHarvest(db, saeId, { datasetId, tokens: 100, topN: 4, params: {} });
        if (n === 8) finishHarvest(db, saeId);
      }
    }
    db.close();
  }
});
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

describe('family.page', () => {
  it('gives each size its train and eval figures, curve, convergence and harvest status, and fits the scaling law', async () => {
    const page = await call('family.page', { family: 'fam' });
    expect(page.family).toMatchObject({ id: 'fam', kind: 'sizes', sizes: SIZES });
    expect(page.trainingTokens).toBe(600);
    expect(page.members.map((m) => m.label)).toEqual(['8', '16', '32']);
    const [m8, m16, m32] = page.members;
    expect(m8).toMatchObject({ sae: 'fam/8', dSae: 8, architecture: 'topk', k: 2, train: { trainFvu: 0.3, l0: 3, deadFrac: 0 }, convergence: { tokens: 300, converged: true } });
    expect(m8!.curve).toEqual({ tokens: curve.tokens, trainFvu: curve.train_fvu, l0: curve.l0, deadFrac: curve.dead_frac });
    expect(m8!.evaluation).toMatchObject({ evalFvu: evalFvu(8), ceLossScore: 0.99, klDiv: 0.005 });
    expect(m8!.harvest).toEqual([{ database: 'a.sqlite', status: 'complete' }, { database: 'b.sqlite', status: null }]);
    expect(m16!.harvest).toEqual([{ database: 'a.sqlite', status: 'running' }, { database: 'b.sqlite', status: null }]);
    expect(m32).toMatchObject({ curve: null, convergence: null });
    expect(page.scaling!.points).toEqual(SIZES.map((n) => ({ dSae: n, evalFvu: evalFvu(n) })));
    expect(page.scaling!.fit!.exponent).toBeCloseTo(0.5, 10);
    expect(page.scaling!.reason).toBeNull();
    // Only the 8 and the 16 have curves: two sizes, no growth of tokens to convergence to fit.
    expect(page.scaling).toMatchObject({ convergenceFit: null, convergenceReason: 'a power law needs 3 or more sizes that converged within their run; only 8, 16 have one' });
    expect(page.missing).toEqual([
      expect.stringMatching(/^No training curves for 32: family.json was written before training recorded them.*Train the family again/),
      expect.stringMatching(/^Not harvested: 16, 32\. Harvest \+ UMAP on this page/),
    ]);
    expect(page.convergenceDefinition).toMatch(/within 5% of its final smoothed value/);
  });

  it('still answers for a family from before curves and evals, saying what is missing and how to get it', async () => {
    const page = await call('family.page', { family: 'old' });
    expect(page.members.every((m) => m.curve === null && m.train === null && m.evaluation === null)).toBe(true);
    expect(page.scaling).toEqual({
      points: [],
      fit: null,
      reason: 'a power law needs eval FVU at 3 or more sizes; none has one',
      convergenceFit: null,
      convergenceReason: 'a power law needs 3 or more sizes that converged within their run; none has one',
    });
    expect(page.missing[0]).toMatch(/^No training curves for 8, 16/);
    expect(page.missing[1]).toMatch(/^No eval figures for 8, 16: evaluate them \(SAEs table ▸ Evaluate…, or sae-explorer sae eval --save\)/);
  });

  it('shows a checkpoints set by its labels, without a scaling chart', async () => {
    const page = await call('family.page', { family: 'ckpt' });
    expect(page.members.map((m) => m.label)).toEqual(['step-1', 'final']);
    expect(page.scaling).toBeNull();
  });

  it('reports a family.json it cannot read instead of failing the page', async () => {
    const broken = path.join(root, 'saes', 'broken');
    saveSaeLens(path.join(broken, '8'), randomTopKSae(8, 3, 2));
    writeFileSync(path.join(broken, 'family.json'), JSON.stringify({ version: 2, saes: [{ d_sae: 8, path: '8', history: { tokens: [1, 2], train_fvu: [1], l0: [1, 1], dead_frac: null } }] }));
    const page = await call('family.page', { family: 'broken' });
    expect(page.members).toHaveLength(1);
    expect(page.missing[0]).toMatch(/^No training record: .*broken.family\.json: saes\[0\]\.history\.train_fvu must be a list of 2 numbers/);
  });

  it('refuses what is not a family of this workspace', async () => {
    await expect(call('family.page', { family: 'nope' })).rejects.toThrow(/not_found: family.page: no SAE family "nope"/);
    await expect(call('family.page', { family: 'lone' })).rejects.toThrow(/bad_request: family.page: "lone" .* is not a family/);
    await expect(call('family.page', { family: '../saes' })).rejects.toThrow(/bad_request/);
    await expect(call('family.page', {} as never)).rejects.toThrow(/bad_request/);
  });
});
