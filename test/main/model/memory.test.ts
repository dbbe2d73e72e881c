import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { hookNames } from '../../../src-shared/hooks.js';
import { buildModel, randomTokens, randomWeights, testConfig, tokensTensor } from './fixtures.js';

describe('tensor memory', () => {
  it('stays flat over repeated run, loss, stopAt, generate and failing calls', () => {
    const config = testConfig();
    const model = buildModel(config, randomWeights(config, 2));
    const tokens = tokensTensor(randomTokens(2, 8, config.vocabSize, 3));
    const everything = () => {
      const { logits, cache } = model.run(tokens, { cache: hookNames(config.nLayer) });
      tf.dispose([logits!, ...cache.values()]);
      const stopped = model.run(tokens, { stopAt: 'blocks.0.hook_resid_post', cache: ['blocks.0.hook_resid_post'] });
      tf.dispose([...stopped.cache.values()]);
      model.lossPerToken(tokens, [{ name: 'blocks.1.hook_resid_mid', fn: (x) => x.mul(0.5) }]).dispose();
      model.meanLoss(tokens);
      model.generate([1, 2, 3], { maxNewTokens: 5, temperature: 0.8, seed: 1 });
      expect(() => model.run(tokens, { cache: ['hook_embed'], hooks: [{ name: 'ln_final.hook_normalized', fn: () => { throw new Error('x'); } }] })).toThrow('x');
      expect(() => model.generate([1, 2], { maxNewTokens: 3, hooks: [{ name: 'blocks.1.hook_attn_out', fn: (x) => (x.shape[1] === 1 ? tf.zeros([1]) : x) }] })).toThrow(/returned shape \[1\]/);
    };
    everything(); // the first call also creates the kept wteᵀ of the unembedding
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) everything();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    model.dispose();
    expect(() => model.run(tokens)).toThrow('this Gpt2 has been disposed; load the model again to use it');
    tokens.dispose();
  });
});
