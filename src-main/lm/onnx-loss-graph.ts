// The training loss's unembedding and cross-entropy as an ONNX graph (see onnx-loss.ts for why it
// runs on ONNX Runtime). The same quantities as loss.ts's chunkedCrossEntropy, for rows x [n, d_model]
// and the compact tied table [rows, d_model] with its logit offsets:
//   sum    = Σ −max(log softmax(x·tableᵀ + offsets)[target], log MIN_NORMAL)
//   dx     = (P − onehot)·table            [n, d_model]
//   dTable = (P − onehot)ᵀ·x               [rows, d_model]
// where P is the softmax. The one-hot is never built: ScatterElements adds −1 at each row's target.
// Gemm with transB multiplies by the table as stored and Gemm with transA by (P − onehot)ᵀ, so no
// transposed copy is made; MLAS packs both operands itself.
import { encodeGraph, FLOAT, GraphBuilder, INT32, intAttr, stringAttr, valueInfo } from '../model/onnx-graph.js';

/** log of the smallest normal float32: the floor of log p(target), as loss.ts's MIN_NORMAL. */
const LOG_MIN_NORMAL = Math.log(1.1754944e-38);

/** Inputs x float [n, d_model], table float [rows, d_model], targets int32 [n]; outputs sum float [] and, with `withGrad`, dx and dtable. */
export function lossGraph(dModel: number, offsets: Float32Array, withGrad: boolean): Uint8Array {
  const rows = offsets.length;
  const g = new GraphBuilder();
  const logits = g.op('Gemm', ['x', 'table', g.weight('offsets', [rows], offsets)], [intAttr('transB', 1)]); // [n, rows]
  const logProbs = g.op('LogSoftmax', [logits], [intAttr('axis', -1)]); // [n, rows]
  const column = g.op('Unsqueeze', ['targets', g.int64s([1])]); // [n, 1]
  const picked = g.op('Max', [g.op('GatherElements', [logProbs, column], [intAttr('axis', 1)]), g.scalar(LOG_MIN_NORMAL)]); // [n, 1]
  g.op('Neg', [g.op('ReduceSum', [picked], [intAttr('keepdims', 0)])], [], 'sum'); // []
  const outputs = [valueInfo('sum', FLOAT, [])];
  if (withGrad) {
    const minusOne = g.op('Expand', [g.scalar(-1), g.op('Shape', [column])]); // [n, 1]
    const dLogits = g.op('ScatterElements', [g.op('Exp', [logProbs]), column, minusOne], [intAttr('axis', 1), stringAttr('reduction', 'add')]); // [n, rows]: P − onehot
    g.op('MatMul', [dLogits, 'table'], [], 'dx'); // [n, d_model]
    g.op('Gemm', [dLogits, 'x'], [intAttr('transA', 1)], 'dtable'); // [rows, d_model]
    outputs.push(valueInfo('dx', FLOAT, ['n', dModel]), valueInfo('dtable', FLOAT, [rows, dModel]));
  }
  const inputs = [valueInfo('x', FLOAT, ['n', dModel]), valueInfo('table', FLOAT, [rows, dModel]), valueInfo('targets', INT32, ['n'])];
  return encodeGraph(withGrad ? 'lm_loss_and_grads' : 'lm_loss', g, inputs, outputs);
}
