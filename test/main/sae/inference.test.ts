// Parity of the tensor SAE runner against a plain-loop reference written from SAELens's definitions,
// on fresh random SAEs of every architecture and input normalisation.
import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { createSaeRunner } from '../../../src-main/sae/inference.js';
import type { SaeBundle } from '../../../src-main/sae/types.js';
import { randomArray, randomBundle, seededRandom, type RandomBundleOptions } from '../../fixtures/sae/random-bundle.js';

const TOKENS = 5;

interface Reference {
  z: number[][];
  reconstruction: number[][];
}

/** SAELens semantics, one token and one latent at a time. */
function referenceForward(bundle: SaeBundle, x: number[][]): Reference {
  const { spec, weights: w } = bundle;
  const { dIn, dSae } = spec;
  const z: number[][] = [];
  const reconstruction: number[][] = [];
  for (const row of x) {
    let normalised = row.slice();
    let undo = (v: number[]) => v;
    if (spec.normalizeActivations === 'layer_norm') {
      const mean = row.reduce((a, b) => a + b, 0) / dIn;
      const std = Math.sqrt(row.reduce((a, b) => a + (b - mean) ** 2, 0) / (dIn - 1));
      normalised = row.map((v) => (v - mean) / (std + 1e-5));
      undo = (v) => v.map((u) => u * std + mean);
    } else if (spec.normalizeActivations === 'constant_norm_rescale') {
      const c = Math.sqrt(dIn) / Math.sqrt(row.reduce((a, b) => a + b * b, 0));
      normalised = row.map((v) => v * c);
      undo = (v) => v.map((u) => u / c);
    } else if (spec.normalizeActivations === 'expected_average_only_in' && spec.normScalingFactor !== undefined) {
      const f = spec.normScalingFactor;
      normalised = row.map((v) => v * f);
      undo = (v) => v.map((u) => u / f);
    }
    const saeIn = normalised.map((v, i) => (spec.applyBDecToInput ? v - w.b_dec[i] : v));
    const project = (j: number) => saeIn.reduce((acc, v, i) => acc + v * w.W_enc[i * dSae + j], 0);
    let acts = new Array<number>(dSae).fill(0);
    if (spec.architecture === 'gated') {
      for (let j = 0; j < dSae; j++) {
        const shared = project(j);
        const gate = shared + w.b_gate![j] > 0 ? 1 : 0;
        acts[j] = gate * Math.max(0, shared * Math.exp(w.r_mag![j]) + w.b_mag![j]);
      }
    } else {
      const pre = Array.from({ length: dSae }, (_, j) => project(j) + w.b_enc[j]);
      if (w.threshold && (spec.architecture === 'jumprelu' || spec.architecture === 'batchtopk')) {
        acts = pre.map((v, j) => (v > Math.max(0, w.threshold![j]) ? Math.max(0, v) : 0));
      } else if (spec.architecture === 'topk' || spec.architecture === 'batchtopk') {
        const order = pre.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]);
        for (const [v, j] of order.slice(0, spec.k!)) acts[j] = Math.max(0, v);
      } else {
        acts = pre.map((v) => Math.max(0, v));
      }
    }
    const out = Array.from({ length: dIn }, (_, i) => acts.reduce((acc, a, j) => acc + a * w.W_dec[j * dIn + i], w.b_dec[i]));
    z.push(acts);
    reconstruction.push(undo(out));
  }
  return { z, reconstruction };
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, r) => row.forEach((v, c) => (worst = Math.max(worst, Math.abs(v - b[r][c])))));
  return worst;
}

function randomInput(dIn: number, seed: number): number[][] {
  const rand = seededRandom(seed);
  return Array.from({ length: TOKENS }, () => Array.from(randomArray(dIn, rand, 2, 0.3)));
}

const CASES: Array<[string, RandomBundleOptions]> = [
  ['standard', { architecture: 'standard' }],
  ['topk', { architecture: 'topk', k: 3 }],
  ['topk with layer_norm (OpenAI v5)', { architecture: 'topk', k: 4, normalizeActivations: 'layer_norm' }],
  ['topk without b_dec on the input', { architecture: 'topk', k: 2, applyBDecToInput: false }],
  ['batchtopk with a threshold', { architecture: 'batchtopk', k: 3, withThreshold: true }],
  ['batchtopk without a threshold', { architecture: 'batchtopk', k: 3 }],
  ['jumprelu', { architecture: 'jumprelu' }],
  ['jumprelu with constant_norm_rescale', { architecture: 'jumprelu', normalizeActivations: 'constant_norm_rescale' }],
  ['gated', { architecture: 'gated' }],
  ['standard with expected_average_only_in', { architecture: 'standard', normalizeActivations: 'expected_average_only_in', normScalingFactor: 2.5 }],
];

describe('createSaeRunner against a plain-loop reference', () => {
  it.each(CASES)('%s: encode, decode and reconstruct match', (_name, options) => {
    const bundle = randomBundle({ ...options, seed: 7 });
    const input = randomInput(bundle.spec.dIn, 11);
    const ref = referenceForward(bundle, input);
    const runner = createSaeRunner(bundle);
    const x = tf.tensor2d(input);
    const z = runner.encode(x);
    const norm = runner.inputNorm(x);
    const decoded = runner.decode(z, norm);
    const reconstructed = runner.reconstruct(x);
    const zDiff = maxAbsDiff(z.arraySync(), ref.z);
    const decodeDiff = maxAbsDiff(decoded.arraySync(), ref.reconstruction);
    const reconDiff = maxAbsDiff(reconstructed.arraySync(), ref.reconstruction);
    console.log(`${_name}: max |Δz| ${zDiff.toExponential(2)}, |Δx̂| ${reconDiff.toExponential(2)}`);
    expect(zDiff).toBeLessThan(1e-4);
    expect(decodeDiff).toBeLessThan(1e-4);
    expect(reconDiff).toBeLessThan(1e-4);
    // The reference must not be trivially sparse or dense: some latents fire, some do not.
    const active = ref.z.flat().filter((v) => v > 0).length;
    expect(active).toBeGreaterThan(0);
    if (options.architecture !== 'standard') expect(active).toBeLessThan(TOKENS * bundle.spec.dSae);
    tf.dispose([x, z, decoded, reconstructed, norm?.mean, norm?.inScale, norm?.outScale].filter((t) => t !== undefined));
    runner.dispose();
  });

  it('topk: the sparse code has k entries per token and decodes to the same reconstruction', () => {
    const bundle = randomBundle({ architecture: 'topk', k: 3, normalizeActivations: 'layer_norm', seed: 3 });
    const input = randomInput(bundle.spec.dIn, 5);
    const ref = referenceForward(bundle, input);
    const runner = createSaeRunner(bundle);
    const x = tf.tensor2d(input);
    const code = runner.encodeTopK!(x);
    expect(code.indices.shape).toEqual([TOKENS, 3]);
    expect(code.indices.dtype).toBe('int32');
    const indices = code.indices.arraySync();
    const values = code.values.arraySync();
    indices.forEach((row, t) => row.forEach((j, slot) => expect(values[t][slot]).toBeCloseTo(ref.z[t][j], 4)));
    const norm = runner.inputNorm(x);
    const out = runner.decodeTopK!(code, norm);
    expect(maxAbsDiff(out.arraySync(), ref.reconstruction)).toBeLessThan(1e-4);
    tf.dispose([x, code.values, code.indices, out, norm!.mean!, norm!.inScale, norm!.outScale]);
    runner.dispose();
  });

  it('offers the sparse form only to per-token top-k SAEs', () => {
    const jump = createSaeRunner(randomBundle({ architecture: 'jumprelu' }));
    const batchWithThreshold = createSaeRunner(randomBundle({ architecture: 'batchtopk', withThreshold: true }));
    expect(jump.encodeTopK).toBeUndefined();
    expect(batchWithThreshold.encodeTopK).toBeUndefined();
    jump.dispose();
    batchWithThreshold.dispose();
  });

  it('refuses to decode a layer_norm SAE without the input statistics, and rejects wrong widths', () => {
    const runner = createSaeRunner(randomBundle({ architecture: 'topk', normalizeActivations: 'layer_norm' }));
    const z = tf.zeros([2, 10]) as tf.Tensor2D;
    expect(() => runner.decode(z)).toThrow(/layer_norm; pass runner\.inputNorm\(x\)/);
    const wrong = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => runner.encode(wrong)).toThrow(/must be \[tokens, 6\].*got \[2,5\]/);
    tf.dispose([z, wrong]);
    runner.dispose();
    expect(() => runner.encode(wrong)).toThrow(/disposed/);
  });

  it('leaks no tensors across encode, reconstruct and dispose', () => {
    const before = tf.memory().numTensors;
    const runner = createSaeRunner(randomBundle({ architecture: 'gated' }));
    const x = tf.tensor2d(randomInput(6, 2));
    tf.dispose([runner.encode(x), runner.reconstruct(x), x]);
    runner.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
