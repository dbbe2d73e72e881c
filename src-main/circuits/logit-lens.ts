// The logit lens (nostalgebraist 2020): the residual stream after each block read out as if it were
// the last, through ln_final and the unembedding, to see the next-token guess form layer by layer.
import { tf } from '../engine/backend.js';
import type { Gpt2 } from '../model/gpt2.js';
import { blockHook, type HookName } from '../../src-shared/hooks.js';

export interface LensLayer {
  /** blocks.0.hook_resid_pre (the embeddings), then blocks.L.hook_resid_post for every L. */
  hookName: HookName;
  /** Per position, the likeliest next tokens, most likely first. */
  top: Array<Array<{ id: number; prob: number }>>;
}

export function logitLens(model: Gpt2, ids: number[], top = 5): LensLayer[] {
  const c = model.config;
  if (!Number.isInteger(top) || top < 1 || top > c.vocabSize) throw new Error(`top must be an integer in 1..${c.vocabSize}, got ${top}`);
  const names: HookName[] = [blockHook(0, 'hook_resid_pre'), ...Array.from({ length: c.nLayer }, (_, l) => blockHook(l, 'hook_resid_post'))];
  const tokens = tf.tensor2d([ids], [1, ids.length], 'int32'); // [1, pos]
  const { cache } = model.run(tokens, { cache: names, stopAt: names.at(-1)! });
  try {
    return names.map((hookName) => {
      const [values, indices] = tf.tidy(() => {
        const resid = cache.get(hookName)!.reshape([ids.length, c.nEmbd]) as tf.Tensor2D; // [pos, d_model]
        const probs = tf.softmax(model.logitsOfResidual(resid)); // [pos, vocab]
        const best = tf.topk(probs, top); // [pos, top] each
        return [best.values, best.indices];
      });
      const [p, id] = [values.dataSync(), indices.dataSync()];
      tf.dispose([values, indices]);
      return { hookName, top: ids.map((_, pos) => Array.from({ length: top }, (_, j) => ({ id: id[pos * top + j]!, prob: p[pos * top + j]! }))) };
    });
  } finally {
    tf.dispose([tokens, ...cache.values()]);
  }
}
