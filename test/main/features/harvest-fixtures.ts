// A tiny GPT-2 and a family of random top-k SAEs on disk, for the harvest, inspect and CLI tests.
import fs from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../../../src-shared/random.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import type { SaeBundle } from '../../../src-main/sae/types.js';

export const D_MODEL = 16;
export const HOOK = 'blocks.1.hook_resid_post';

export function randomTopKSae(dSae: number, seed: number, k = 3): SaeBundle {
  const random = seededRandom(seed);
  const W_dec = Float32Array.from({ length: dSae * D_MODEL }, () => random() - 0.5);
  const W_enc = new Float32Array(D_MODEL * dSae);
  for (let i = 0; i < dSae; i++) for (let j = 0; j < D_MODEL; j++) W_enc[j * dSae + i] = W_dec[i * D_MODEL + j];
  return {
    spec: {
      architecture: 'topk',
      dIn: D_MODEL,
      dSae,
      k,
      normalizeActivations: 'none',
      applyBDecToInput: true,
      modelName: 'tiny',
      hookName: HOOK,
      contextSize: 64,
      prependBos: true,
    },
    weights: { W_enc, W_dec, b_enc: new Float32Array(dSae).fill(0.05), b_dec: new Float32Array(D_MODEL) },
  };
}

/** `root/model` (tiny GPT-2, d_model 16) and `root/fam/{8,16}` with family.json. */
export function writeFixtures(root: string, sizes = [8, 16]): { modelDir: string; familyDir: string; saeDirs: string[] } {
  const modelDir = path.join(root, 'model');
  createTinyModel(modelDir, { layers: 2, dModel: D_MODEL, heads: 2, ctx: 64, seed: 3 });
  const familyDir = path.join(root, 'fam');
  const saeDirs = sizes.map((n, i) => {
    const dir = path.join(familyDir, String(n));
    saveSaeLens(dir, randomTopKSae(n, 100 + i));
    return dir;
  });
  fs.writeFileSync(path.join(familyDir, 'family.json'), JSON.stringify({ version: 1, hook: HOOK, sizes, saes: sizes.map((n) => ({ d_sae: n, path: String(n) })) }));
  return { modelDir, familyDir, saeDirs };
}
