// The ONNX Runtime activation source against the tfjs one on the same tiny GPT-2 and windows, and
// which of the two modelActivationSource picks.
import { afterEach, describe, expect, it } from 'vitest';
import { ModelActivationSource, type HookedModel } from '../../../src-main/data/activations.js';
import { modelActivationSource, OnnxActivationSource } from '../../../src-main/data/onnx-activations.js';
import type { WindowSet } from '../../../src-main/data/windows.js';
import { buildModel, randomTokens, randomWeights, relativeMaxDiff, testConfig } from '../model/fixtures.js';

const windowsOf = (rows: number[][]): WindowSet => ({ contextSize: rows[0]!.length, count: rows.length, tokens: Uint16Array.from(rows.flat()) });

describe('OnnxActivationSource', () => {
  afterEach(() => {
    delete process.env.SAE_GPT2_RUNTIME;
  });

  it('gives the tfjs source its activations, BOS dropped, in the asked window order across model batches', async () => {
    const config = testConfig({ nLayer: 3 });
    const model = buildModel(config, randomWeights(config, 11));
    const windows = windowsOf(randomTokens(7, 9, config.vocabSize, 12));
    try {
      const onnx = modelActivationSource(model, windows, 'blocks.1.hook_resid_mid', 3);
      expect(onnx).toBeInstanceOf(OnnxActivationSource);
      const order = [6, 0, 3, 5, 1];
      const got = await onnx.activations(order);
      const expected = await new ModelActivationSource(model, windows, 'blocks.1.hook_resid_mid', 2).activations(order);
      expect(got.length).toBe(order.length * 8 * config.nEmbd);
      expect(relativeMaxDiff(got, expected).relative).toBeLessThan(1e-5);
      const mlp = await modelActivationSource(model, windows, 'blocks.0.mlp.hook_post', 4).activations([2]);
      expect(mlp.length).toBe(8 * config.nInner);
    } finally {
      model.dispose();
    }
  });

  it('stays on tfjs for a model that is not a Gpt2, and when SAE_GPT2_RUNTIME=tfjs', () => {
    const config = testConfig();
    const windows = windowsOf(randomTokens(2, 4, config.vocabSize, 1));
    const standIn: HookedModel = { config: { nEmbd: 3 }, run: () => ({ cache: new Map() }) };
    expect(modelActivationSource(standIn, windows, 'blocks.0.hook_resid_pre', 2)).toBeInstanceOf(ModelActivationSource);
    const model = buildModel(config, randomWeights(config, 2));
    try {
      process.env.SAE_GPT2_RUNTIME = 'tfjs';
      expect(modelActivationSource(model, windows, 'blocks.0.hook_resid_pre', 2)).toBeInstanceOf(ModelActivationSource);
      process.env.SAE_GPT2_RUNTIME = 'torch';
      expect(() => modelActivationSource(model, windows, 'blocks.0.hook_resid_pre', 2)).toThrow('SAE_GPT2_RUNTIME="torch": expected auto, onnx, tfjs');
    } finally {
      model.dispose();
    }
  });
});
