import { afterAll, describe, expect, it } from 'vitest';
import { logitLens } from '../../../src-main/circuits/logit-lens.js';
import { tf } from '../../../src-main/engine/backend.js';
import { buildModel, randomTokens, randomWeights, testConfig, tokensTensor } from '../model/fixtures.js';
import { referenceForward } from '../model/reference.js';

const config = testConfig();
const weights = randomWeights(config, 8);
const model = buildModel(config, weights);
afterAll(() => model.dispose());

describe('logitLens', () => {
  const ids = randomTokens(1, 6, config.vocabSize, 3)[0]!;

  it('reads the embeddings and every block out; the last block reads as the model itself', () => {
    const lens = logitLens(model, ids, 4);
    expect(lens.map((l) => l.hookName)).toEqual(['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_post', 'blocks.1.hook_resid_post']);
    const probs = tf.tidy(() => tf.softmax(model.run(tokensTensor([ids])).logits!.reshape([ids.length, config.vocabSize])).arraySync() as number[][]);
    lens.at(-1)!.top.forEach((row, pos) => {
      const order = probs[pos]!.map((p, id) => ({ id, p })).sort((a, b) => b.p - a.p).slice(0, 4);
      expect(row.map((e) => e.id)).toEqual(order.map((e) => e.id));
      row.forEach((e, j) => expect(e.prob).toBeCloseTo(order[j]!.p, 5));
    });
  });

  it('reads an intermediate layer through ln_final and the unembedding, as the reference does', () => {
    const reference = referenceForward(config, weights, [ids]);
    const resid = reference.hooks.get('blocks.0.hook_resid_post')!.data; // [1, pos, d]
    const lnF = { g: weights.get('ln_f.weight')!.data, b: weights.get('ln_f.bias')!.data };
    const wte = weights.get('wte.weight')!.data;
    const d = config.nEmbd;
    const top = logitLens(model, ids, 1)[1]!.top;
    ids.forEach((_, pos) => {
      const x = Array.from(resid.subarray(pos * d, (pos + 1) * d));
      const mean = x.reduce((a, b) => a + b, 0) / d;
      const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / d + config.layerNormEpsilon);
      const normed = x.map((v, i) => ((v - mean) / sd) * lnF.g[i]! + lnF.b[i]!);
      const logits = Array.from({ length: config.vocabSize }, (_, t) => normed.reduce((a, v, i) => a + v * wte[t * d + i]!, 0));
      expect(top[pos]![0]!.id).toBe(logits.indexOf(Math.max(...logits)));
    });
  });
});
