// Logit effects on ONNX Runtime (engine/onnx.ts): the same effects, top tokens and histograms as
// LogitKernel's, with the [block, vocab] product on MLAS's packed GEMM (every core, ~6× tfjs-wasm's
// matMul per core here) instead of tfjs. The graph: effects = (dirs ⊙ γ) · W_Uᵀ, with W_Uᵀ a constant
// ONNX Runtime packs once; TopK of the effects and of their negation, tied tokens masked with −∞.
import type * as Ort from 'onnxruntime-node';
import { onnxSessionOptions, type OnnxRuntime } from '../engine/onnx.js';
import { encodeGraph, FLOAT, GraphBuilder, intAttr, INT64, valueInfo } from '../model/onnx-graph.js';
import { reduceLogitBlock, type LogitEffectOptions, type LogitRunner } from './logit-effects.js';
import type { Unembedding } from './unembedding.js';

function logitGraph(u: Unembedding, top: number): Uint8Array {
  const { vocab, dModel, tied } = u;
  const g = new GraphBuilder();
  const wT = new Float32Array(dModel * vocab); // [d_model, vocab]
  for (let v = 0; v < vocab; v++) for (let j = 0; j < dModel; j++) wT[j * vocab + v] = u.wte[v * dModel + j];
  const effects = g.op('MatMul', [g.op('Mul', ['dirs', g.weight('gamma', [dModel], u.gamma)]), g.weight('unembed_t', [dModel, vocab], wT)], [], 'effects'); // [rows, vocab]
  const exclude = tied ? g.weight('exclude', [vocab], Float32Array.from(tied, (t) => (t ? -Infinity : 0))) : null;
  const up = exclude ? g.op('Add', [effects, exclude]) : effects;
  const negated = g.op('Neg', [effects]);
  const down = exclude ? g.op('Add', [negated, exclude]) : negated;
  const k = g.int64s([top]);
  g.nodes.push({ opType: 'TopK', input: [up, k], output: ['pos_v', 'pos_i'], attribute: [intAttr('axis', -1)], name: 'TopK_up' });
  g.nodes.push({ opType: 'TopK', input: [down, k], output: ['neg_v', 'neg_i'], attribute: [intAttr('axis', -1)], name: 'TopK_down' });
  const outputs = [
    valueInfo('effects', FLOAT, ['rows', vocab]),
    valueInfo('pos_v', FLOAT, ['rows', top]),
    valueInfo('pos_i', INT64, ['rows', top]),
    valueInfo('neg_v', FLOAT, ['rows', top]),
    valueInfo('neg_i', INT64, ['rows', top]),
  ];
  return encodeGraph('logit_effects', g, [valueInfo('dirs', FLOAT, ['rows', dModel])], outputs);
}

export async function onnxLogitRunner(ort: OnnxRuntime, u: Unembedding, options: LogitEffectOptions): Promise<LogitRunner> {
  const session: Ort.InferenceSession = await ort.InferenceSession.create(logitGraph(u, options.top), onnxSessionOptions());
  return {
    parallel: 1,
    block: async (dirs, rows) => {
      const out = await session.run({ dirs: new ort.Tensor('float32', dirs, [rows, u.dModel]) });
      const ids = (name: string) => Int32Array.from(out[name]!.data as BigInt64Array, Number);
      return reduceLogitBlock(out.effects!.data as Float32Array, rows, { posV: out.pos_v!.data as Float32Array, posI: ids('pos_i'), negV: out.neg_v!.data as Float32Array, negI: ids('neg_i') }, options, u.tied);
    },
    dispose: () => session.release(),
  };
}
