// Direct feature attribution against the model itself: the parts' shares add up to the latent's
// pre-activation (which the SAE's own encoder confirms) at every kind of site, and a head planted
// to write along a latent's encoder row is the one found.
import { afterAll, describe, expect, it } from 'vitest';
import { decomposePreActivation } from '../../../src-main/circuits/feature-heads.js';
import { tf } from '../../../src-main/engine/backend.js';
import { createSaeRunner } from '../../../src-main/sae/inference.js';
import type { InputNormalization, SaeBundle } from '../../../src-main/sae/types.js';
import { seededRandom } from '../../../src-shared/random.js';
import { buildModel, randomTokens, randomWeights, testConfig } from '../model/fixtures.js';

const config = testConfig();
const D = config.nEmbd;
const D_SAE = 24;
const weights = randomWeights(config, 21);
const model = buildModel(config, weights);
const ids = randomTokens(1, 12, config.vocabSize, 4)[0]!;
afterAll(() => model.dispose());

function randomSae(hookName: string, normalizeActivations: InputNormalization, seed: number): SaeBundle {
  const random = seededRandom(seed);
  const fill = (n: number, scale: number) => Float32Array.from({ length: n }, () => (random() - 0.5) * scale);
  return {
    spec: { architecture: 'standard', dIn: D, dSae: D_SAE, normalizeActivations, applyBDecToInput: true, modelName: 'test', hookName, contextSize: 16, prependBos: false },
    weights: { W_enc: fill(D * D_SAE, 1), W_dec: fill(D_SAE * D, 1), b_enc: fill(D_SAE, 0.5), b_dec: fill(D, 0.5) },
  };
}

/** The SAE's own encoder at `positions`: dense latents [n][d_sae]. */
function encoded(bundle: SaeBundle, positions: number[]): number[][] {
  const runner = createSaeRunner(bundle);
  try {
    return tf.tidy(() => {
      const { cache } = model.run(tf.tensor2d([ids], undefined, 'int32'), { cache: [bundle.spec.hookName as never], stopAt: bundle.spec.hookName as never });
      const x = cache.get(bundle.spec.hookName as never)!.reshape([ids.length, D]) as tf.Tensor2D;
      return tf.gather(runner.encode(x), positions).arraySync() as number[][];
    });
  } finally {
    runner.dispose();
  }
}

const SITES = ['blocks.1.hook_resid_pre', 'blocks.1.ln1.hook_normalized', 'blocks.1.hook_attn_out', 'blocks.1.hook_resid_mid', 'blocks.0.hook_mlp_out', 'blocks.1.hook_resid_post', 'ln_final.hook_normalized'];
const NORMS: InputNormalization[] = ['none', 'layer_norm', 'constant_norm_rescale'];

describe('decomposePreActivation', () => {
  it.each(SITES.flatMap((site) => NORMS.map((norm) => [site, norm] as const)))('at %s (SAE input %s): the shares add up to the pre-activation minus the bias, which the encoder confirms', (site, norm) => {
    const bundle = randomSae(site, norm, site.length + norm.length);
    const runner = createSaeRunner(bundle);
    const positions = [0, 5, 11];
    let worst = 0;
    try {
      for (let latent = 0; latent < D_SAE; latent += 5) {
        const { components, at } = decomposePreActivation(model, bundle, runner, ids, positions, latent);
        const dense = encoded(bundle, positions);
        at.forEach((a, i) => {
          expect(a.contributions).toHaveLength(components.length);
          const sum = a.contributions.reduce((x, y) => x + y, 0);
          worst = Math.max(worst, Math.abs(sum + a.bias - a.preActivation) / Math.max(1, Math.abs(a.preActivation)));
          // A standard SAE's latent is relu(pre-activation): the decomposed number is the encoder's.
          expect(Math.max(0, a.preActivation)).toBeCloseTo(dense[i]![latent]!, 4);
        });
      }
    } finally {
      runner.dispose();
    }
    console.log(`${site} ${norm}: largest |Σ shares + bias − pre-activation| / max(1, |pre|) = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
  });

  it('lists the parts that write the site, in order', () => {
    const names = (site: string) => {
      const bundle = randomSae(site, 'none', 1);
      const runner = createSaeRunner(bundle);
      try {
        return decomposePreActivation(model, bundle, runner, ids, [3], 0).components.map((c) => c.name);
      } finally {
        runner.dispose();
      }
    };
    expect(names('blocks.1.hook_resid_pre')).toEqual(['embed', 'pos_embed', 'L0H0', 'L0H1', 'L0H2', 'L0H3', 'L0 attn bias', 'L0 MLP']);
    expect(names('blocks.1.hook_attn_out')).toEqual(['L1H0', 'L1H1', 'L1H2', 'L1H3', 'L1 attn bias']);
    expect(names('ln_final.hook_normalized').at(-1)).toBe('ln_final bias');
    expect(() => names('blocks.1.mlp.hook_post')).toThrow('blocks.1.mlp.hook_post is not a sum of component outputs');
  });

  it('finds the head planted to write along the latent’s encoder row, and gives a silenced head exactly 0', () => {
    const dHead = D / config.nHead;
    const random = seededRandom(5);
    const u = Array.from({ length: D }, () => random() - 0.5);
    const planted = new Map(weights);
    const proj = Float32Array.from(weights.get('h.0.attn.c_proj.weight')!.data);
    // Head 2 of block 0 writes only along u, strongly; head 1 writes nothing.
    for (let r = 0; r < dHead; r++) {
      const a = 3 * (random() - 0.5);
      for (let j = 0; j < D; j++) {
        proj[(2 * dHead + r) * D + j] = a * u[j]!;
        proj[(1 * dHead + r) * D + j] = 0;
      }
    }
    planted.set('h.0.attn.c_proj.weight', { shape: [D, D], data: proj });
    const plantedModel = buildModel(config, planted);
    const bundle = randomSae('blocks.1.hook_resid_pre', 'none', 8);
    for (let j = 0; j < D; j++) bundle.weights.W_enc[j * D_SAE + 7] = u[j]!;
    const runner = createSaeRunner(bundle);
    try {
      const { components, at } = decomposePreActivation(plantedModel, bundle, runner, ids, [4, 8, 11], 7);
      const mean = components.map((_, c) => at.reduce((s, a) => s + Math.abs(a.contributions[c]!), 0) / at.length);
      const ranked = components.map((c, i) => ({ name: c.name, share: mean[i]! })).sort((a, b) => b.share - a.share);
      expect(ranked[0]!.name).toBe('L0H2');
      expect(ranked[0]!.share).toBeGreaterThan(2 * ranked[1]!.share);
      expect(at.every((a) => a.contributions[components.findIndex((c) => c.name === 'L0H1')] === 0)).toBe(true);
    } finally {
      runner.dispose();
      plantedModel.dispose();
    }
  });
});
