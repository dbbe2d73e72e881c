// GPT-2's forward on ONNX Runtime against the plain-loop reference that the tfjs forward is checked
// against (reference.ts): every hook point, the logits, each activation function, graphs cut at a
// hook, and the errors a caller can cause.
import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { loadOnnxRuntime, type OnnxRuntime } from '../../../src-main/engine/onnx.js';
import { OnnxGpt2 } from '../../../src-main/model/onnx-gpt2.js';
import { hookNames, type HookName } from '../../../src-shared/hooks.js';
import type { Gpt2Config } from '../../../src-main/model/config.js';
import { buildModel, randomTokens, randomWeights, relativeMaxDiff, testConfig, tokensTensor } from './fixtures.js';
import { referenceForward } from './reference.js';

const TOLERANCE = 1e-4;
const seed = Date.now() % 1_000_000; // fresh inputs each run; printed so a failure can be replayed

function runtime(): OnnxRuntime {
  const ort = loadOnnxRuntime();
  if (!('runtime' in ort)) throw new Error(ort.error);
  return ort.runtime;
}

async function compareAll(config: Gpt2Config, batch: number, pos: number): Promise<string[]> {
  const weights = randomWeights(config, seed);
  const rows = randomTokens(batch, pos, config.vocabSize, seed + 1);
  const model = buildModel(config, weights);
  const report: string[] = [];
  try {
    const expected = referenceForward(config, weights, rows);
    const names = hookNames(config.nLayer);
    const got = await OnnxGpt2.of(model, runtime()).run(Int32Array.from(rows.flat()), batch, pos, { outputs: names, logits: true });
    const check = (name: string, actual: ArrayLike<number>, reference: ArrayLike<number>) => {
      const { diff, relative } = relativeMaxDiff(actual, reference);
      report.push(`${name.padEnd(32)} max |diff| ${diff.toExponential(2)}  relative ${relative.toExponential(2)}`);
      expect(relative, `${name} (seed ${seed})`).toBeLessThan(TOLERANCE);
    };
    expect([...got.hooks.keys()]).toEqual(names);
    for (const [name, ref] of expected.hooks) check(name, got.hooks.get(name)!, ref.data);
    check('logits', got.logits!, expected.logits.data);
  } finally {
    model.dispose();
  }
  return report;
}

describe('GPT-2 on ONNX Runtime', () => {
  it('matches the plain-loop reference on every hook and the logits', async () => {
    const report = await compareAll(testConfig(), 3, 11);
    console.log(`ONNX parity (seed ${seed}):\n  ${report.join('\n  ')}`);
  });

  // The reference knows gelu_new only; the other activations are checked against the tfjs forward,
  // which mlp.test.ts checks against their formulas.
  for (const activationFunction of ['gelu', 'relu', 'quick_gelu', 'silu'] as const) {
    it(`matches the tfjs forward with the ${activationFunction} activation`, async () => {
      const config = testConfig({ activationFunction, nLayer: 1 });
      const rows = randomTokens(2, 5, config.vocabSize, seed + 5);
      const model = buildModel(config, randomWeights(config, seed + 4));
      const hook: HookName = 'blocks.0.hook_resid_post';
      const { cache } = model.run(tokensTensor(rows), { cache: [hook] });
      try {
        const got = await OnnxGpt2.of(model, runtime()).run(Int32Array.from(rows.flat()), 2, 5, { outputs: [hook] });
        expect(relativeMaxDiff(got.hooks.get(hook)!, cache.get(hook)!.dataSync()).relative).toBeLessThan(TOLERANCE);
      } finally {
        tf.dispose([...cache.values()]);
        model.dispose();
      }
    });
  }

  it('scores next-token targets as the reference loss does, under the full softmax', async () => {
    const config = testConfig({ vocabSize: 50257, eosTokenId: 50256, bosTokenId: 50256 });
    const weights = randomWeights(config, seed + 6);
    const rows = randomTokens(2, 10, config.vocabSize, seed + 7);
    const model = buildModel(config, weights);
    try {
      // Inputs are each row's first 9 tokens, targets the 9 after them: the reference's loss positions.
      const inputs = Int32Array.from(rows.flatMap((r) => r.slice(0, 9)));
      const targets = Int32Array.from(rows.flatMap((r) => r.slice(1)));
      const { loss } = await OnnxGpt2.of(model, runtime()).run(inputs, 2, 9, { outputs: [], loss: true }, targets);
      expect(relativeMaxDiff(loss!, referenceForward(config, weights, rows).loss).relative).toBeLessThan(TOLERANCE);
      await expect(OnnxGpt2.of(model, runtime()).run(inputs, 2, 9, { outputs: [], loss: true })).rejects.toThrow('the loss needs 18 targets, got none');
    } finally {
      model.dispose();
    }
  });

  it('stops at the asked hook and still gives its exact values', async () => {
    const config = testConfig({ nLayer: 3 });
    const weights = randomWeights(config, seed + 2);
    const rows = randomTokens(2, 16, config.vocabSize, seed + 3);
    const model = buildModel(config, weights);
    try {
      const hook: HookName = 'blocks.1.hook_resid_pre';
      const got = await OnnxGpt2.of(model, runtime()).run(Int32Array.from(rows.flat()), 2, 16, { outputs: [hook] });
      expect(got.logits).toBeUndefined();
      expect(relativeMaxDiff(got.hooks.get(hook)!, referenceForward(config, weights, rows).hooks.get(hook)!.data).relative).toBeLessThan(TOLERANCE);
    } finally {
      model.dispose();
    }
  });

  it('refuses token ids outside the vocabulary, a batch of the wrong size and a disposed model', async () => {
    const config = testConfig();
    const model = buildModel(config, randomWeights(config, 4));
    const runner = OnnxGpt2.of(model, runtime());
    const ids = Int32Array.from({ length: 8 }, (_, i) => i);
    await expect(runner.run(Int32Array.from([1, 2, 3, config.vocabSize]), 2, 2, { outputs: ['hook_embed'] })).rejects.toThrow(
      `tokens[1, 1] is ${config.vocabSize}, outside the vocabulary 0..${config.vocabSize - 1}`,
    );
    await expect(runner.run(ids, 3, 3, { outputs: ['hook_embed'] })).rejects.toThrow('8 token ids for a [3, 3] batch');
    await expect(runner.run(ids, 2, 4, { outputs: [] })).rejects.toThrow('needs at least one hook, the logits or the loss');
    model.dispose();
    await expect(runner.run(ids, 2, 4, { outputs: ['hook_embed'] })).rejects.toThrow('has been disposed');
  });
});
