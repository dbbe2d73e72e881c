// llm.c's test_gpt2 idea: the tfjs forward against a plain-loop reference on fresh random weights
// and tokens, on every hook point and the logits, printing the largest difference.
import { describe, expect, it } from 'vitest';
import { hookNames } from '../../../src-shared/hooks.js';
import { buildModel, randomTokens, randomWeights, relativeMaxDiff, testConfig, tokensTensor } from './fixtures.js';
import { referenceForward } from './reference.js';
import { tf } from '../../../src-main/engine/backend.js';

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
        expect(loss.shape).toEqual([2, 8]);
        check('loss per token', loss.dataSync(), expected.loss);
      } finally {
        console.log(`parity (${label}, seed ${seed}):\n  ${report.join('\n  ')}`);
        tf.dispose([tokens, logits!, loss, ...cache.values()]);
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
