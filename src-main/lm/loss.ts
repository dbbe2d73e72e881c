// The training loss: GPT-2's forward pass (the model's own embed, block and layerNorm) and next-token
// cross-entropy through the tied unembedding, restricted to the training vocabulary.
//
// Why the restriction is exact: every token absent from the corpus shares one row r of the compact
// embedding, so in the exported model all `absent` of them have the same logit x·r, and the full
// softmax's partition function is Σ_own exp(x·w_i) + absent·exp(x·r) — one extra row whose logit is
// offset by log(absent). The loss (and its gradient, r included) is the full-vocabulary loss of the
// exported model, at the cost of only the corpus's rows (SOTU: 25,138 of 50,257).
//
// The unembedding's gradient is computed in the forward pass, chunk by chunk (the loss is a scalar,
// so the chunk's dlogits = softmax − onehot is known there), and never stores a [rows, vocab] tensor
// across the pass; the products use only untransposed matMuls (see model/matmul.ts). When the model
// carries an OnnxLoss, the same quantities come from ONNX Runtime instead (onnx-loss.ts).
import { tf } from '../engine/backend.js';
import { block } from '../model/block.js';
import { embed } from '../model/embedding.js';
import { HookContext } from '../model/hooks.js';
import { layerNorm } from '../model/layernorm.js';
import type { OnnxLoss } from './onnx-loss.js';
import type { TrainableGpt2 } from './params.js';

/** Rows of the [rows, vocab] logits computed at once. */
const CHUNK_ROWS = 512;
/** The smallest normal float32. */
const MIN_NORMAL = 1.1754944e-38;

/** The final LayerNorm's output [batch, pos, d_model] for compact token ids [batch, pos]. */
export function finalHidden(model: TrainableGpt2, inputs: tf.Tensor2D): tf.Tensor3D {
  const { config, weights } = model;
  const hooks = new HookContext(config.nLayer);
  let resid = embed(inputs, weights, 0, hooks); // [batch, pos, d_model]
  weights.blocks.forEach((w, layer) => {
    resid = block(resid, w, config, layer, hooks, undefined, model.attention).resid; // [batch, pos, d_model]
  });
  return layerNorm(resid, weights.lnF, config.layerNormEpsilon); // [batch, pos, d_model]
}

/** Logit offsets of the compact rows: 0 for a token's own row, log(absent) for the shared row. */
export function rowOffsetValues(rows: number, absent: number): Float32Array {
  const offsets = new Float32Array(rows);
  if (absent > 0) offsets[rows - 1] = Math.log(absent);
  return offsets;
}

/** rowOffsetValues as a tensor [rows]. */
export function rowOffsets(rows: number, absent: number): tf.Tensor1D {
  return tf.tensor1d(rowOffsetValues(rows, absent)); // [rows]
}

interface ChunkedLoss {
  sum: tf.Scalar; // Σ over rows of −log p(target)
  dx?: tf.Tensor2D; // [n, d_model]: d sum / d x
  dTable?: tf.Tensor2D; // [rows, d_model]: d sum / d table
}

/**
 * Σ −log softmax(x·tableᵀ + offsets)[target] over the rows of x, and optionally its gradients:
 * d/dx = P·table − table[targets] and d/dtable = Pᵀ·x − Σ_{rows with target j} x, where P is the
 * softmax. Writing the one-hot part as a gather and a segment sum keeps every [rows, vocab] pass to
 * the product, the softmax and the two gradient products; tfjs's fused Softmax kernel costs a
 * fraction of Exp on wasm. p(target) is floored at the smallest normal float, capping one token's
 * loss at 87.3 nats, which only a diverged model reaches.
 */
function chunkedCrossEntropy(x: tf.Tensor2D, table: tf.Tensor2D, offsets: tf.Tensor1D, targets: tf.Tensor1D, withGrad: boolean, onnx?: OnnxLoss): ChunkedLoss {
  const [n, d] = x.shape;
  if (onnx) {
    const out = onnx.compute(x.dataSync() as Float32Array, table.dataSync() as Float32Array, targets.dataSync() as Int32Array, withGrad);
    const sum = tf.scalar(out.sum);
    return withGrad ? { sum, dx: tf.tensor2d(out.dx!, [n, d]), dTable: tf.tensor2d(out.dTable!, table.shape) } : { sum };
  }
  const rows = table.shape[0];
  const tableT = table.transpose() as tf.Tensor2D; // [d_model, rows]
  let sum = tf.scalar(0);
  let pTx: tf.Tensor2D | undefined = withGrad ? tf.zeros([d, rows]) : undefined; // [d_model, rows]: (Pᵀ·x)ᵀ so far
  const dxChunks: tf.Tensor2D[] = [];
  for (let start = 0; start < n; start += CHUNK_ROWS) {
    const m = Math.min(CHUNK_ROWS, n - start);
    const out = tf.tidy(() => {
      const xc = x.slice([start, 0], [m, d]); // [m, d_model]
      const tc = targets.slice(start, m); // [m]
      const probs = tf.softmax(tf.matMul(xc, tableT).add(offsets)) as tf.Tensor2D; // [m, rows]
      const pairs = tf.stack([tf.range(0, m, 1, 'int32'), tc], 1); // [m, 2]
      const picked = tf.gatherND(probs, pairs).maximum(MIN_NORMAL); // [m]
      const total = sum.sub(picked.log().sum()) as tf.Scalar; // []
      if (!withGrad) return { total };
      return {
        total,
        dx: tf.matMul(probs, table).sub(tf.gather(table, tc)) as tf.Tensor2D, // [m, d_model]
        pTx: pTx!.add(tf.matMul(xc.transpose() as tf.Tensor2D, probs)) as tf.Tensor2D, // [d_model, rows]
      };
    });
    sum.dispose();
    sum = out.total;
    if (out.dx) dxChunks.push(out.dx);
    if (out.pTx) {
      pTx!.dispose();
      pTx = out.pTx;
    }
  }
  tableT.dispose();
  if (!withGrad) return { sum };
  const dx = tf.concat(dxChunks) as tf.Tensor2D; // [n, d_model]
  tf.dispose(dxChunks);
  const dTable = tf.tidy(() => pTx!.transpose().sub(tf.unsortedSegmentSum(x, targets, rows))) as tf.Tensor2D; // [rows, d_model]
  pTx!.dispose();
  return { sum, dx, dTable };
}

/**
 * Mean next-token cross-entropy of x [n, d_model] against compact targets [n], differentiable in x and
 * table. `divisor` (default n) is the count the sum is divided by: a data-parallel shard passes the
 * whole batch's positions, so the shards' losses and gradients add up to the batch's.
 */
export function meanCrossEntropy(x: tf.Tensor2D, table: tf.Tensor2D, offsets: tf.Tensor1D, targets: tf.Tensor1D, divisor = x.shape[0], onnx?: OnnxLoss): tf.Scalar {
  const n = divisor;
  const fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, tableIn, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const { sum, dx, dTable } = chunkedCrossEntropy(xIn as tf.Tensor2D, tableIn as tf.Tensor2D, offsets, targets, true, onnx);
    save([dx!, dTable!]);
    return {
      value: sum.div(n) as tf.Tensor, // []
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [saved[0].mul(dy.div(n)) as tf.Tensor, saved[1].mul(dy.div(n)) as tf.Tensor], // [n, d_model], [rows, d_model]
    };
  });
  return fn(x, table) as tf.Scalar;
}

/** Σ next-token cross-entropy (nats) of the windows' targets, forward only. */
export function summedCrossEntropy(x: tf.Tensor2D, table: tf.Tensor2D, offsets: tf.Tensor1D, targets: tf.Tensor1D, onnx?: OnnxLoss): number {
  const { sum } = chunkedCrossEntropy(x, table, offsets, targets, false, onnx);
  const value = sum.dataSync()[0];
  sum.dispose();
  return value;
}

/** One step's loss and gradients (by parameter name); `divisor` as in meanCrossEntropy (default: the positions of `inputs`). */
export function lossAndGrads(model: TrainableGpt2, inputs: tf.Tensor2D, targets: tf.Tensor1D, offsets: tf.Tensor1D, divisor = inputs.size): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const byVariable = new Map<string, string>();
  for (const [name, v] of model.params) byVariable.set(v.name, name);
  const { value, grads } = tf.variableGrads(() => {
    const final = finalHidden(model, inputs); // [batch, ctx, d_model]
    const x = final.reshape([final.shape[0] * final.shape[1], final.shape[2]]) as tf.Tensor2D; // [batch·ctx, d_model]
    return meanCrossEntropy(x, model.weights.wte, offsets, targets, divisor, model.onnxLoss);
  }, [...model.params.values()]);
  return { loss: value, grads: new Map(Object.entries(grads).map(([v, g]) => [byVariable.get(v)!, g])) };
}
