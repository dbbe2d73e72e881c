// Random GPT-2s for tests: every parameter random (biases and LayerNorm gains too, unlike the
// HF-style init of tiny.ts), so a wrong bias or a swapped gain cannot hide behind zeros and ones.
import { tf } from '../../../src-main/engine/backend.js';
import type { Gpt2Config } from '../../../src-main/model/config.js';
import { Gpt2 } from '../../../src-main/model/gpt2.js';
import { fillNormal, seededRandom } from '../../../src-shared/random.js';
import { expectedShapes, hostTensorSource, weightsFromSource } from '../../../src-main/model/weights.js';
import type { HostWeights } from './reference.js';

export function testConfig(overrides: Partial<Gpt2Config> = {}): Gpt2Config {
  return {
    nLayer: 2,
    nEmbd: 32,
    nHead: 4,
    nInner: 128,
    nPositions: 16,
    vocabSize: 101,
    layerNormEpsilon: 1e-5,
    activationFunction: 'gelu_new',
    eosTokenId: 100,
    bosTokenId: 100,
    ...overrides,
  };
}

export function randomWeights(c: Gpt2Config, seed: number): HostWeights {
  const uniform = seededRandom(seed);
  const weights: HostWeights = new Map();
  for (const [name, shape] of expectedShapes(c)) {
    const data = fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), name.endsWith('.bias') ? 0.1 : 0.3, uniform);
    // LayerNorm gains around 1, so the normalised stream keeps its scale.
    if (/ln_(1|2|f)\.weight$/.test(name)) for (let i = 0; i < data.length; i++) data[i] += 1;
    weights.set(name, { shape, data });
  }
  return weights;
}

export function buildModel(c: Gpt2Config, weights: HostWeights): Gpt2 {
  return new Gpt2(c, weightsFromSource(c, hostTensorSource(weights), 'test weights'));
}

export function randomTokens(batch: number, pos: number, vocab: number, seed: number): number[][] {
  const uniform = seededRandom(seed);
  return Array.from({ length: batch }, () => Array.from({ length: pos }, () => Math.floor(uniform() * vocab)));
}

export function tokensTensor(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');
}

/** Largest |a - b| over the largest |b|: the error relative to the tensor's own scale. */
export function relativeMaxDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): { diff: number; relative: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} differs from expected ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return { diff, relative: diff / (scale || 1) };
}
