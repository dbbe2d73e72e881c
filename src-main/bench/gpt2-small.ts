// GPT-2 small's shape with seeded random weights: what the benchmarks run on, since no real
// checkpoint can be fetched everywhere. Timing does not depend on the weights' values.
import type { Gpt2Config } from '../model/config.js';
import { Gpt2 } from '../model/gpt2.js';
import { randomGpt2Tensors } from '../model/tiny.js';
import { hostTensorSource, weightsFromSource } from '../model/weights.js';

export const GPT2_SMALL: Gpt2Config = {
  nLayer: 12,
  nEmbd: 768,
  nHead: 12,
  nInner: 3072,
  nPositions: 1024,
  vocabSize: 50257,
  layerNormEpsilon: 1e-5,
  activationFunction: 'gelu_new',
  eosTokenId: 50256,
  bosTokenId: 50256,
};

export function randomGpt2Small(seed = 0): Gpt2 {
  return new Gpt2(GPT2_SMALL, weightsFromSource(GPT2_SMALL, hostTensorSource(randomGpt2Tensors(GPT2_SMALL, seed)), 'random GPT-2 small'));
}
