// family.splitting through the dispatcher on a family built so the answer is known: 4 latents on the
// unit axes e0..e3 of d 8, then 8 latents e0, e1, e1 tilted towards e2, e3 and e4..e7. So e0 and e3
// are kept, e1 splits in two, e2 has no child, and e4..e7 are new in the larger size.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import type { SaeBundle } from '../../../src-main/sae/types.js';
import { dispatcherCalls } from './dispatcher-calls.js';

const D = 8;
const root = mkdtempSync(path.join(tmpdir(), 'sae-family-splitting-'));
const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });

const { call } = dispatcherCalls(dispatcher);

const axis = (i: number, scale = 1) => Array.from({ length: D }, (_, j) => (j === i ? scale : 0));

function sae(rows: number[][]): SaeBundle {
  const dSae = rows.length;
  const W_dec = Float32Array.from(rows.flat());
  const W_enc = new Float32Array(D * dSae);
  for (let i = 0; i < dSae; i++) for (let j = 0; j < D; j++) W_enc[j * dSae + i] = W_dec[i * D + j]!;
  return {
    spec: { architecture: 'topk', dIn: D, dSae, k: 2, normalizeActivations: 'none', applyBDecToInput: true, modelName: 'tiny', hookName: 'blocks.0.hook_resid_post', contextSize: 64, prependBos: true },
    weights: { W_enc, W_dec, b_enc: new Float32Array(dSae), b_dec: new Float32Array(D) },
  };
}

beforeAll(() => {
  const fam = path.join(root, 'saes', 'fam');
  saveSaeLens(path.join(fam, '4'), sae([0, 1, 2, 3].map((i) => axis(i))));
  const tilted = axis(1).map((v, j) => (j === 2 ? 0.1 : v));
  saveSaeLens(path.join(fam, '8'), sae([axis(0), axis(1), tilted, axis(3), axis(4), axis(5), axis(6), axis(7)]));
  writeFileSync(path.join(fam, 'family.json'), JSON.stringify({ version: 2, saes: [{ d_sae: 4, path: '4' }, { d_sae: 8, path: '8' }] }));
  const ckpt = path.join(root, 'saes', 'ckpt');
  for (const label of ['step-1', 'final']) saveSaeLens(path.join(ckpt, label), sae([0, 1, 2, 3].map((i) => axis(i))));
  const member = (label: string) => ({ label, path: label, d_sae: 4, model: label, model_path: path.join(root, 'models', label) });
  writeFileSync(path.join(ckpt, 'family.json'), JSON.stringify({ version: 3, kind: 'checkpoints', saes: [member('step-1'), member('final')] }));
});

afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

describe('family.splitting', () => {
  it('counts the latents kept, split and without counterpart, and those new in the larger size', async () => {
    const result = await call('family.splitting', { family: 'fam' });
    expect(result).toMatchObject({ family: 'fam', minCosine: 0.5 });
    expect(result.pairs).toHaveLength(1);
    const [pair] = result.pairs;
    expect(pair).toMatchObject({ small: 'fam/4', large: 'fam/8', smallSize: 4, largeSize: 8, kept: 2, split: 1, none: 1, meanSplitChildren: 2, newInLarge: 4 });
    // Four of the larger size's rows have cosine 1 or 0.995 with their parent, four have 0.
    expect(pair!.medianParentCosine).toBeCloseTo(0.4975, 3);
  });

  it('links less at a stricter cosine', async () => {
    const [pair] = (await call('family.splitting', { family: 'fam', minCosine: 0.999 })).pairs;
    // The tilted e1 (cosine 0.995) is no longer a child: e1 is kept, not split.
    expect(pair).toMatchObject({ kept: 3, split: 0, none: 1, newInLarge: 5 });
  });

  it('refuses what has no sizes to compare, naming it', async () => {
    await expect(call('family.splitting', { family: 'nope' })).rejects.toThrow(/not_found: family.splitting: no SAE family "nope"/);
    await expect(call('family.splitting', { family: 'ckpt' })).rejects.toThrow(/bad_request: family.splitting: "ckpt" is a checkpoints set/);
    await expect(call('family.splitting', { family: 'fam', minCosine: 2 })).rejects.toThrow(/bad_request: family.splitting: .*minCosine/);
    await expect(call('family.splitting', { family: '../x' })).rejects.toThrow(/bad_request/);
  });
});
