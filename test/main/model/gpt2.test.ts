// The Gpt2 forward: parity with a plain-loop reference in the spirit of llm.c's test_gpt2 (fresh
// random weights and tokens, every hook point, logits and loss, printing the largest difference),
// and flat tensor memory over repeated calls.
import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { hookNames } from '../../../src-shared/hooks.js';
import { buildModel, randomTokens, randomWeights, relativeMaxDiff, testConfig, tokensTensor } from './fixtures.js';
import { referenceForward } from './reference.js';

const TOLERANCE = 1e-4;
const seed = Date.now() % 1_000_000; // fresh inputs each run; printed so a failure can be replayed

describe('GPT-2 forward parity with the plain-loop reference', () => {
  for (const [label, config] of [
    ['tiny vocabulary', testConfig()],
    ['full GPT-2 vocabulary, 3 layers, 2 heads', testConfig({ nLayer: 3, nHead: 2, vocabSize: 50257, eosTokenId: 50256, bosTokenId: 50256 })],
  ] as const) {
    it(`matches on logits, loss and every hook (${label})`, () => {
      const weights = randomWeights(config, seed);
      const rows = randomTokens(2, 9, config.vocabSize, seed + 1);
      const model = buildModel(config, weights);
      const tokens = tokensTensor(rows);
      const expected = referenceForward(config, weights, rows);
      const { logits, cache } = model.run(tokens, { cache: hookNames(config.nLayer) });
      // Without the pattern cached, attention takes its fused kernel on wasm.
      const uncached = model.run(tokens).logits!;
      const loss = model.lossPerToken(tokens);
      const report: string[] = [];
      const check = (name: string, actual: ArrayLike<number>, reference: ArrayLike<number>) => {
        const { diff, relative } = relativeMaxDiff(actual, reference);
        report.push(`${name.padEnd(32)} max |diff| ${diff.toExponential(2)}  relative ${relative.toExponential(2)}`);
        expect(relative, `${name} (seed ${seed})`).toBeLessThan(TOLERANCE);
      };
      try {
        expect([...cache.keys()]).toEqual(hookNames(config.nLayer));
        for (const [name, ref] of expected.hooks) {
          const got = cache.get(name)!;
          expect(got.shape, name).toEqual(ref.shape);
          check(name, got.dataSync(), ref.data);
        }
        expect(logits!.shape).toEqual(expected.logits.shape);
        check('logits', logits!.dataSync(), expected.logits.data);
        check('logits, no hook cached', uncached.dataSync(), expected.logits.data);
        expect(loss.shape).toEqual([2, 8]);
        check('loss per token', loss.dataSync(), expected.loss);
      } finally {
        console.log(`parity (${label}, seed ${seed}):\n  ${report.join('\n  ')}`);
        tf.dispose([tokens, logits!, uncached, loss, ...cache.values()]);
        model.dispose();
      }
    });
  }

  it('computes the loss over more rows than one log-softmax chunk (1024) exactly like the reference', () => {
    const config = testConfig();
    const weights = randomWeights(config, seed + 2);
    const rows = randomTokens(70, 16, config.vocabSize, seed + 3); // 70 · 15 = 1050 target rows
    const model = buildModel(config, weights);
    const tokens = tokensTensor(rows);
    const loss = model.lossPerToken(tokens);
    try {
      expect(loss.shape).toEqual([70, 15]);
      const { diff, relative } = relativeMaxDiff(loss.dataSync(), referenceForward(config, weights, rows).loss);
      console.log(`chunked loss (seed ${seed}): max |diff| ${diff.toExponential(2)}, relative ${relative.toExponential(2)}`);
      expect(relative).toBeLessThan(TOLERANCE);
    } finally {
      tf.dispose([tokens, loss]);
      model.dispose();
    }
  });
});

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
