import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cooccurrence } from '../../../src-main/features/cooccurrence.js';
import { familyTree, type FamilyLevel } from '../../../src-main/features/family-tree.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { createSaeRunner } from '../../../src-main/sae/inference.js';
import { tf } from '../../../src-main/engine/backend.js';
import { D_MODEL, randomTopKSae } from './harvest-fixtures.js';
import { fillNormal, seededRandom } from '../../../src-shared/random.js';

const D = 64;

/**
 * A planted family: 4 random parents; in the 8-size, latents 2i and 2i+1 are parent i plus noise
 * (its children, feature splitting); in the 16-size, latents 2j and 2j+1 are 8-latent j plus noise.
 */
function plantedFamily(): FamilyLevel[] {
  const random = seededRandom(7);
  const parents = fillNormal(new Float32Array(4 * D), 1, random);
  const split = (rows: Float32Array, n: number): Float32Array => {
    const noise = fillNormal(new Float32Array(2 * n * D), 0.8, random);
    return noise.map((v, i) => v + rows[Math.floor(i / D / 2) * D + (i % D)]!);
  };
  const eight = split(parents, 4);
  const sixteen = split(eight, 8);
  return [
    { sae: 'fam/4', dSae: 4, wDec: parents },
    { sae: 'fam/8', dSae: 8, wDec: eight },
    { sae: 'fam/16', dSae: 16, wDec: sixteen },
  ];
}

const shape = (node: ReturnType<typeof familyTree>['root']): unknown => ({ latent: node.latent, children: node.children.map(shape) });
const sorted = (node: ReturnType<typeof familyTree>['root']): unknown => ({
  latent: node.latent,
  children: node.children.map(sorted).sort((a, b) => (a as { latent: number }).latent - (b as { latent: number }).latent),
});

describe('familyTree', () => {
  const levels = plantedFamily();

  it('finds the planted children and grandchildren of a coarse latent, closest first', () => {
    const { root, ancestors } = familyTree(levels, 0, 1, { minCosine: 0.6 });
    expect(ancestors).toEqual([]);
    expect(sorted(root)).toEqual({
      latent: 1,
      children: [
        { latent: 2, children: [{ latent: 4, children: [] }, { latent: 5, children: [] }] },
        { latent: 3, children: [{ latent: 6, children: [] }, { latent: 7, children: [] }] },
      ],
    });
    expect(root.cosine).toBe(1);
    for (const child of root.children) expect(child.cosine).toBeGreaterThan(0.6);
    expect(root.children[0]!.cosine).toBeGreaterThanOrEqual(root.children[1]!.cosine);
  });

  it('walks from a fine latent up to its planted ancestors', () => {
    const { ancestors, root } = familyTree(levels, 2, 13, { minCosine: 0.6 });
    expect(ancestors.map((a) => [a.level, a.latent])).toEqual([[1, 6], [0, 3]]);
    expect(shape(root)).toEqual({ latent: 13, children: [] });
  });

  it('keeps at most maxChildren, and none below minCosine', () => {
    expect(familyTree(levels, 0, 1, { minCosine: 0.6, maxChildren: 1 }).root.children).toHaveLength(1);
    expect(familyTree(levels, 0, 1, { minCosine: 0.999 }).root.children).toEqual([]);
  });

  it('refuses bad input, naming it', () => {
    expect(() => familyTree(levels, 3, 0)).toThrow('level 3 is outside the family');
    expect(() => familyTree(levels, 0, 4)).toThrow('latent 4 is out of range: fam/4 has latents 0..3');
    expect(() => familyTree([levels[1]!, levels[0]!], 0, 0)).toThrow('family levels must grow in d_sae: fam/8 has 8, then fam/4 has 4');
  });
});

describe('cooccurrence', () => {
  it('counts, over the tokens where the parent fires, those where each child fires too', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cooccurrence-'));
    const dir = path.join(root, 'model');
    createTinyModel(dir, { layers: 2, dModel: D_MODEL, heads: 2, ctx: 64, seed: 3 });
    const model = await loadGpt2(dir);
    // The same SAE as parent and as child: a latent always co-occurs with itself. k = d_sae, so
    // every latent with a positive pre-activation fires and the counts are not all 0 or 1.
    const sae = createSaeRunner(randomTopKSae(16, 9, 16));
    try {
      const contexts = [[50256, 464, 3290, 4966, 284], [50256, 40, 588, 262, 3290, 13]];
      const [self, other] = cooccurrence(model, { sae, latent: 2 }, [{ sae, latent: 2 }, { sae, latent: 5 }], contexts);
      expect(self).toBe(1);
      const acts = (latent: number) => contexts.flatMap((ids) => {
        const { cache } = model.run(tfTokens(ids), { cache: ['blocks.1.hook_resid_post'], stopAt: 'blocks.1.hook_resid_post' });
        const z = sae.encode(cache.get('blocks.1.hook_resid_post')!.reshape([ids.length, D_MODEL]) as tf.Tensor2D);
        const column = Array.from(z.dataSync()).filter((_, i) => i % 16 === latent);
        z.dispose();
        for (const t of cache.values()) t.dispose();
        return column;
      });
      const [a2, a5] = [acts(2), acts(5)];
      const fires = a2.filter((v) => v > 0).length;
      expect(fires).toBeGreaterThan(0);
      expect(other).toBeCloseTo(a2.filter((v, i) => v > 0 && a5[i]! > 0).length / fires, 10);
    } finally {
      sae.dispose();
      model.dispose();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

function tfTokens(ids: number[]): tf.Tensor2D {
  return tf.tensor2d([ids], [1, ids.length], 'int32');
}
