// One batch of an SAE evaluation (train/eval.ts has the definitions): the clean forward, the two
// zero-ablations and, per SAE, the forward with its reconstruction spliced in at the hook, reduced to
// sums on the host. A batch depends on nothing but its tokens, so batches can run anywhere (this
// thread, or the model pool's workers) and their sums be added in batch order with the same result.
import { tf } from '../engine/backend.js';
import type { Gpt2 } from '../model/gpt2.js';
import type { RunOptions } from '../model/hooks.js';
import type { HookName } from '../../src-shared/hooks.js';
import type { SaeRunner } from './inference.js';
import type { SaeBundle } from './types.js';

export type SpliceModel = Pick<Gpt2, 'config' | 'lossPerToken' | 'run'>;

/** One SAE's sums over one batch, each as the evaluation adds it up. */
export interface BatchEval {
  /** Activation tokens (BOS excluded). */
  tokens: number;
  sqErr: number;
  sqNorm: number;
  /** Σ x per input dimension, [dIn]. */
  sum: Float32Array;
  /** Non-zero latents over all tokens. */
  active: number;
  /** 1 where the latent fired on some token, [dSae]. */
  fired: Int32Array;
  ceClean: number;
  ceSae: number;
  ceAbl: number;
  ceAblKeepBos: number;
  /** Σ p log p − Σ p log q over predicted positions. */
  kl: number;
}

/** Runs evaluation batches elsewhere (model/pool.ts's workers): the SAEs loaded once, then one batch per call. */
export interface SpliceEvalRunner {
  /** Batches it computes at once. */
  readonly parallelism: number;
  loadSaes(bundles: SaeBundle[]): Promise<void>;
  evalBatch(ids: Int32Array, n: number, ctx: number): Promise<BatchEval[]>;
  releaseSaes(): Promise<void>;
}

/** Sum of a [batch, pos − 1] loss tensor, disposing it. */
async function sumLoss(loss: tf.Tensor): Promise<number> {
  const total = tf.sum(loss); // []
  try {
    return (await total.data())[0];
  } finally {
    tf.dispose([loss, total]);
  }
}

/** Next-token log-probabilities [batch · (pos − 1), vocab] of a run with `hooks`, and the targets' cross-entropy sum. */
async function nextTokenLogProbs(model: SpliceModel, tokens: tf.Tensor2D, options: RunOptions): Promise<{ logProbs: tf.Tensor2D; ce: number }> {
  const [n, ctx] = tokens.shape;
  const { logits } = model.run(tokens, options); // no cache asked for, so none to free
  if (!logits) throw new Error('evaluateSae: the model returned no logits');
  const rows = n * (ctx - 1);
  const { logProbs, ce } = tf.tidy(() => {
    const vocab = logits.shape[2];
    const logProbs = tf.logSoftmax(logits.slice([0, 0, 0], [n, ctx - 1, vocab]).reshape([rows, vocab])) as tf.Tensor2D; // [rows, vocab]
    // gatherND on (row, target) pairs, because gather with batchDims crashes on wasm.
    const pairs = tf.stack([tf.range(0, rows, 1, 'int32'), tokens.slice([0, 1], [n, ctx - 1]).reshape([rows])], 1); // [rows, 2]
    return { logProbs, ce: tf.gatherND(logProbs, pairs).sum().neg() }; // [rows, vocab], []
  });
  logits.dispose();
  const total = (await ce.data())[0];
  ce.dispose();
  return { logProbs, ce: total };
}

/** Every SAE's sums over the batch of `n` windows of `ctx` tokens in `ids` (row-major). */
export async function evalBatch(model: SpliceModel, runners: SaeRunner[], hook: HookName, ids: Int32Array, n: number, ctx: number, dIn: number): Promise<BatchEval[]> {
  const tokens = tf.tensor2d(ids, [n, ctx], 'int32'); // [batch, pos]
  let captured: tf.Tensor | undefined;
  const kept: tf.Tensor[] = [tokens];
  try {
    const clean = await nextTokenLogProbs(model, tokens, { hooks: [{ name: hook, fn: (act) => void (captured = tf.keep(act.clone())) }] });
    // KL(p ‖ q) = Σ p log p − Σ p log q: the first sum and p itself are shared by every SAE.
    const cleanProbs = tf.tidy(() => tf.exp(clean.logProbs)); // [rows, vocab]
    kept.push(cleanProbs);
    const negEntropy = tf.tidy(() => tf.sum(tf.mul(cleanProbs, clean.logProbs))); // []
    clean.logProbs.dispose();
    const cleanSelf = (await negEntropy.data())[0];
    negEntropy.dispose();
    if (!captured) throw new Error(`the model never reached hook "${hook}"`);
    kept.push(captured);
    const bos = captured.slice([0, 0, 0], [n, 1, dIn]); // [batch, 1, d]
    const x = captured.slice([0, 1, 0], [n, ctx - 1, dIn]).reshape([n * (ctx - 1), dIn]) as tf.Tensor2D; // [tokens, d]
    const zeros = tf.zeros([n, ctx, dIn]); // [batch, pos, d]
    const ablatedKeepBos = tf.concat([bos, tf.zeros([n, ctx - 1, dIn])], 1); // [batch, pos, d]
    kept.push(bos, x, zeros, ablatedKeepBos);
    const ceAbl = await sumLoss(model.lossPerToken(tokens, [{ name: hook, fn: () => zeros }])); // [batch, pos − 1]
    const ceAblKeepBos = await sumLoss(model.lossPerToken(tokens, [{ name: hook, fn: () => ablatedKeepBos }])); // [batch, pos − 1]
    const xStats = tf.tidy(() => [tf.sum(tf.square(x)), tf.sum(x, 0)]); // [], [d]
    const [sqNorm, sum] = await Promise.all(xStats.map((t) => t.data()));
    tf.dispose(xStats);
    const out: BatchEval[] = [];
    for (const runner of runners) {
      const xHat = runner.reconstruct(x); // [tokens, d]
      const z = runner.encode(x); // [tokens, dSae]
      const spliced = tf.concat([bos, xHat.reshape([n, ctx - 1, dIn])], 1); // [batch, pos, d]
      let withSae: tf.Tensor2D | undefined;
      try {
        const run = await nextTokenLogProbs(model, tokens, { hooks: [{ name: hook, fn: () => spliced }] });
        withSae = run.logProbs;
        const stats = tf.tidy(() => [
          tf.sum(tf.square(tf.sub(x, xHat))), // []
          tf.sum(tf.cast(tf.greater(z, 0), 'float32')), // []
          tf.cast(tf.greater(tf.max(z, 0), 0), 'int32'), // [dSae]
          tf.sum(tf.mul(cleanProbs, withSae!)), // [] Σ p log q
        ]);
        const [sqErr, active, fired, kl] = await Promise.all(stats.map((t) => t.data()));
        tf.dispose(stats);
        out.push({
          tokens: n * (ctx - 1),
          sqErr: sqErr[0],
          sqNorm: sqNorm[0],
          sum: sum as Float32Array,
          active: active[0],
          fired: fired as Int32Array,
          ceClean: clean.ce,
          ceSae: run.ce,
          ceAbl,
          ceAblKeepBos,
          kl: cleanSelf - kl[0],
        });
      } finally {
        tf.dispose([xHat, z, spliced, ...(withSae ? [withSae] : [])]);
      }
    }
    return out;
  } finally {
    tf.dispose(kept);
  }
}
