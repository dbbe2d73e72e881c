import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../../src-main/engine/backend.js';
import { writeGpt2Folder } from '../../../src-main/lm/export.js';
import { finalHidden } from '../../../src-main/lm/loss.js';
import { compactIndex, makeTrainVocab, TrainableGpt2 } from '../../../src-main/lm/params.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { randomGpt2Tensors, tinyGpt2Config } from '../../../src-main/model/tiny.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import { tempOut } from './fixture.js';

beforeAll(async () => {
  await initEngine();
});

describe('exporting a trained model', () => {
  it('writes a folder the app loads whose logits are the in-memory model\'s, absent tokens included', async () => {
    const config = tinyGpt2Config({ layers: 2, dModel: 16, heads: 2, ctx: 8, seed: 0, overwrite: false });
    const vocab = makeTrainVocab(Int32Array.from([0, 5, 17, 300, 1000, 50256]), config.vocabSize);
    const model = TrainableGpt2.fromFull(config, vocab, randomGpt2Tensors(config, 4));
    // Give the shared row and the own rows distinct values, as training would.
    const wte = model.params.get('wte.weight')!;
    wte.assign(tf.randomNormal(wte.shape, 0, 0.5, 'float32', 9));
    const dir = tempOut();
    writeGpt2Folder(dir, config, model.fullTensors());

    const tokens = [50256, 17, 5, 300, 0, 1000, 17, 5];
    const index = compactIndex(vocab, config.vocabSize);
    const inMemory = tf.tidy(() => {
      const x = finalHidden(model, tf.tensor2d(tokens.map((t) => index[t]), [1, 8], 'int32')).reshape([8, 16]); // [8, d]
      const full = tf.gather(wte, tf.tensor1d(Array.from(index), 'int32')); // [vocab, d]: each absent token reads the shared row
      return tf.matMul(x, full.transpose()); // [8, vocab]
    });
    const loaded = await loadGpt2(dir);
    const { logits } = loaded.run(tf.tensor2d(tokens, [1, 8], 'int32'));
    const diff = tf.tidy(() => logits!.reshape([8, config.vocabSize]).sub(inMemory).abs().max().dataSync()[0]);
    console.log('largest logit difference, exported vs in memory:', diff);
    expect(diff).toBeLessThan(1e-5);
    // Absent tokens all share one logit; own tokens differ from it.
    const row = (logits!.arraySync() as number[][][])[0][3];
    expect(row[1]).toBe(row[40000]);
    expect(row[17]).not.toBe(row[1]);
    expect((await loadTokenizer(dir)).encode(' the')).toEqual([262]);
    tf.dispose([inMemory, logits!]);
    loaded.dispose();
    model.dispose();
  });
});
