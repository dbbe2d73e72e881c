import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { tokenSampler } from '../../../src-main/model/sample.js';
import { buildModel, randomTokens, randomWeights, testConfig, tokensTensor } from './fixtures.js';

const config = testConfig();
const weights = randomWeights(config, 5);
const model = buildModel(config, weights);
const prompt = randomTokens(1, 4, config.vocabSize, 9)[0];
afterAll(() => model.dispose());

/** Greedy decoding the slow way: a full forward over the whole sequence for every new token. */
function greedyWithoutCache(tokens: number[], steps: number): number[] {
  const out = [...tokens];
  for (let i = 0; i < steps; i++) {
    const input = tokensTensor([out]);
    const { logits } = model.run(input);
    const last = logits!.slice([0, out.length - 1, 0], [1, 1, config.vocabSize]);
    out.push(last.argMax(-1).dataSync()[0]);
    tf.dispose([input, logits!, last]);
  }
  return out;
}

describe('generate', () => {
  it('greedy decoding with the KV cache equals recomputing the full forward each step', () => {
    const steps = config.nPositions - prompt.length;
    const cached = model.generate(prompt, { maxNewTokens: steps, temperature: 0 });
    expect(cached).toHaveLength(config.nPositions);
    expect(cached).toEqual(greedyWithoutCache(prompt, steps));
  });

  it('seeded sampling is reproducible, and another seed gives other text', () => {
    const sample = (seed: number) => model.generate(prompt, { maxNewTokens: 10, temperature: 1.5, seed });
    expect(sample(7)).toEqual(sample(7));
    expect(sample(7).slice(0, 4)).toEqual(prompt);
    expect(sample(8)).not.toEqual(sample(7));
  });

  it('top-k of 1 is greedy whatever the temperature', () => {
    expect(model.generate(prompt, { maxNewTokens: 6, temperature: 3, topK: 1, seed: 1 })).toEqual(model.generate(prompt, { maxNewTokens: 6, temperature: 0 }));
  });

  it('stops after <|endoftext|> when asked', () => {
    const first = model.generate(prompt, { maxNewTokens: 1, temperature: 0 })[4];
    const eotModel = buildModel({ ...config, eosTokenId: first }, weights);
    try {
      expect(eotModel.generate(prompt, { maxNewTokens: 5, temperature: 0, stopAtEot: true })).toEqual([...prompt, first]);
      expect(eotModel.generate(prompt, { maxNewTokens: 5, temperature: 0 })).toHaveLength(9);
    } finally {
      eotModel.dispose();
    }
  });

  it('runs hooks at every step on the new positions only, and a steering hook changes the text', () => {
    const shapes: string[] = [];
    model.generate(prompt, { maxNewTokens: 3, temperature: 0, hooks: [{ name: 'blocks.0.hook_resid_post', fn: (x) => void shapes.push(x.shape.join('x')) }] });
    expect(shapes).toEqual(['1x4x32', '1x1x32', '1x1x32']);
    const steer = weights.get('wte.weight')!.data.slice(3 * 32, 4 * 32); // token 3's embedding
    const steered = model.generate(prompt, {
      maxNewTokens: 4,
      temperature: 0,
      hooks: [{ name: 'blocks.1.hook_resid_post', fn: (x) => x.add(tf.tensor1d(steer).mul(50)) }],
    });
    expect(steered).not.toEqual(model.generate(prompt, { maxNewTokens: 4, temperature: 0 }));
  });

  it('generateTokens gives the same tokens one at a time, checks options before the first, and frees its KV cache when stopped early', () => {
    const whole = model.generate(prompt, { maxNewTokens: 6, temperature: 0 }).slice(prompt.length);
    const tokens = model.generateTokens(prompt, { maxNewTokens: 6, temperature: 0 });
    const before = tf.memory().numTensors;
    expect(tokens.next()).toEqual({ value: whole[0], done: false });
    expect(tokens.next()).toEqual({ value: whole[1], done: false });
    // Two steps in, the cache holds k and v of every layer.
    expect(tf.memory().numTensors).toBe(before + 2 * config.nLayer);
    tokens.return();
    expect(tf.memory().numTensors).toBe(before);
    expect(tokens.next().done).toBe(true);
    expect([...model.generateTokens(prompt, { maxNewTokens: 6, temperature: 0 })]).toEqual(whole);
    expect(() => model.generateTokens(prompt, { maxNewTokens: -1 })).toThrow('maxNewTokens must be a non-negative integer, got -1');
  });

  it('refuses prompts that do not fit the context or hold ids outside the vocabulary', () => {
    expect(() => model.generate(prompt, { maxNewTokens: 13 })).toThrow("prompt (4 tokens) + maxNewTokens (13) exceeds the model's context of 16 positions");
    expect(() => model.generate([1, 101], { maxNewTokens: 1 })).toThrow('prompt[1] is 101, outside the vocabulary 0..100');
    expect(() => model.generate(prompt, { maxNewTokens: 1, topK: 0 })).toThrow('topK must be an integer in 1..101, got 0');
    expect(() => model.generate(prompt, { maxNewTokens: 1, top_k: 5 } as never)).toThrow(/unknown generate option "top_k"/);
  });
});

describe('tokenSampler', () => {
  const logits = new Float32Array([0, 5, 4.5, 1, -2]);

  it('samples only among the top k, in proportion to exp(logit / temperature)', () => {
    const pick = tokenSampler({ temperature: 1, topK: 2, seed: 3 });
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[pick(logits)]++;
    expect(counts[0] + counts[3] + counts[4]).toBe(0);
    // p(1) = 1 / (1 + e^-0.5) = 0.622
    expect(counts[1] / 4000).toBeCloseTo(0.622, 1);
  });

  it('temperature 0 is argmax', () => {
    expect(tokenSampler({ temperature: 0 })(logits)).toBe(1);
  });
});

describe('tokens longer than the context', () => {
  it('is an error naming the context length', () => {
    const tokens = tokensTensor(randomTokens(1, 17, config.vocabSize, 1));
    expect(() => model.run(tokens)).toThrow("17 tokens per row exceed the model's context of 16 positions (n_positions)");
    expect(() => model.lossPerToken(tokens)).toThrow(/exceed the model's context of 16/);
    tokens.dispose();
  });

  it('rejects float tokens and ids outside the vocabulary', () => {
    const floats = tf.tensor2d([[1, 2]]);
    expect(() => model.run(floats as tf.Tensor2D)).toThrow('tokens must be an int32 tensor [batch, pos], got float32 [1, 2]');
    const bad = tf.tensor2d([[1, 2], [3, 500]], [2, 2], 'int32');
    expect(() => model.run(bad)).toThrow('tokens[1, 1] is 500, outside the vocabulary 0..100');
    const negative = tf.tensor2d([[1, -1, 2]], [1, 3], 'int32');
    expect(() => model.meanLoss(negative)).toThrow('tokens[0, 1] is -1, outside the vocabulary 0..100');
    tf.dispose([floats, bad, negative]);
  });
});
