// Decoder-cosine neighbours: for each latent of SAE A, the k latents of SAE B whose decoder rows point
// the most the same way. Within one SAE (A = B, self excluded) these are similar features; across
// the sizes of a family they are the parent/child links of feature splitting. Blocks of A rows meet
// all of B in one matmul, B · blockᵀ then transposed: wasm's matMul streams its whole right operand
// per few rows of the left one, so the small block goes on the right (materialised: wasm's
// transposed-operand matMul is slower still). Where ONNX Runtime runs GPT-2's forward, it runs this
// product too (on every core, several times faster per core).
import type * as Ort from 'onnxruntime-node';
import { tf } from '../engine/backend.js';
import { gpt2OnnxRuntime, onnxSessionOptions, type OnnxRuntime } from '../engine/onnx.js';
import { encodeGraph, FLOAT, GraphBuilder, intAttr, intsAttr, INT64, valueInfo } from '../model/onnx-graph.js';
import { MAX_DENSE_ELEMENTS } from '../sae/bounds.js';

export interface NeighbourTable {
  k: number;
  /** [nA, k] latent indices in B, closest first. */
  indices: Int32Array;
  /** [nA, k] cosines. */
  cosines: Float32Array;
}

export interface NeighbourOptions {
  k: number;
  /** A and B are the same SAE: a latent is not its own neighbour. */
  excludeSelf: boolean;
  /** Rows of A per matmul; default neighbourBlockRows(nB). */
  block?: number;
}

/** Rows of A per matmul: 1024, fewer when B is so large that a [rows, nB] block would pass 2^24 cosines (64 MiB). */
export function neighbourBlockRows(nB: number): number {
  return Math.max(1, Math.min(1024, Math.floor(MAX_DENSE_ELEMENTS / nB)));
}

/** Rows scaled to unit length (zero rows stay zero): [n, d] → [n, d]. */
export function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12))); // [n, d]
}

export async function decoderNeighbours(a: Float32Array, nA: number, b: Float32Array, nB: number, d: number, options: NeighbourOptions): Promise<NeighbourTable> {
  const want = options.k + (options.excludeSelf ? 1 : 0);
  const k = Math.min(options.k, nB - (options.excludeSelf ? 1 : 0));
  if (k < 1) throw new Error(`neighbour search needs at least ${options.excludeSelf ? 2 : 1} latents in the target SAE, got ${nB}`);
  const take = Math.min(want, nB);
  const ort = gpt2OnnxRuntime();
  const search = ort ? await onnxBlockSearch(ort, b, nB, d, take) : tfjsBlockSearch(b, nB, d, take);
  const block = options.block ?? (ort ? onnxBlockRows(nB) : neighbourBlockRows(nB));
  const indices = new Int32Array(nA * k);
  const cosines = new Float32Array(nA * k);
  try {
    for (let start = 0; start < nA; start += block) {
      const rows = Math.min(block, nA - start);
      const { values, ids } = await search.best(a.subarray(start * d, (start + rows) * d), rows);
      for (let r = 0; r < rows; r++) {
        let out = 0;
        for (let j = 0; j < take && out < k; j++) {
          const id = ids[r * take + j]!;
          if (options.excludeSelf && id === start + r) continue;
          indices[(start + r) * k + out] = id;
          cosines[(start + r) * k + out] = values[r * take + j]!;
          out++;
        }
      }
    }
  } finally {
    search.dispose();
  }
  return { k, indices, cosines };
}

/** The `take` closest B rows to each of a block of A rows: cosines and B indices, [rows, take] each, closest first. */
interface BlockSearch {
  best(block: Float32Array, rows: number): Promise<{ values: ArrayLike<number>; ids: ArrayLike<number> }>;
  dispose(): void;
}

function tfjsBlockSearch(b: Float32Array, nB: number, d: number, take: number): BlockSearch {
  const bUnit = tf.tidy(() => unitRows(tf.tensor2d(b, [nB, d]))); // [nB, d]
  return {
    best: async (block, rows) => {
      const best = tf.tidy(() => {
        const q = unitRows(tf.tensor2d(block, [rows, d])); // [rows, d]
        return tf.topk(tf.transpose(tf.matMul(bUnit, tf.transpose(q))), take); // [nB, rows] → [rows, nB] → [rows, take]
      });
      const [values, ids] = await Promise.all([best.values.data(), best.indices.data()]);
      tf.dispose([best.values, best.indices]);
      return { values, ids };
    },
    dispose: () => bUnit.dispose(),
  };
}

/** Rows of A per ONNX Runtime run: its [rows, nB] cosines stay inside the run, up to 2^26 (256 MiB). */
function onnxBlockRows(nB: number): number {
  return Math.max(1, Math.min(4096, Math.floor(2 ** 26 / nB)));
}

/**
 * The same search on ONNX Runtime (where GPT-2's forward runs there, engine/onnx.ts): B's unit rows,
 * transposed, are a constant that MLAS packs once; each block is normalised, multiplied on every core
 * and reduced by TopK inside the run.
 */
async function onnxBlockSearch(ort: OnnxRuntime, b: Float32Array, nB: number, d: number, take: number): Promise<BlockSearch> {
  const bT = new Float32Array(d * nB); // [d, nB]
  for (let i = 0; i < nB; i++) {
    let norm = 0;
    for (let j = 0; j < d; j++) norm += b[i * d + j]! * b[i * d + j]!;
    const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let j = 0; j < d; j++) bT[j * nB + i] = b[i * d + j]! * scale;
  }
  const g = new GraphBuilder();
  const norms = g.op('Max', [g.op('ReduceL2', ['q'], [intsAttr('axes', [1]), intAttr('keepdims', 1)]), g.scalar(1e-12)]); // [rows, 1]
  const cos = g.op('MatMul', [g.op('Div', ['q', norms]), g.weight('b_unit_t', [d, nB], bT)]); // [rows, nB]
  g.nodes.push({ opType: 'TopK', input: [cos, g.int64s([take])], output: ['values', 'ids'], attribute: [intAttr('axis', -1)], name: 'TopK' });
  const graph = encodeGraph('neighbours', g, [valueInfo('q', FLOAT, ['rows', d])], [valueInfo('values', FLOAT, ['rows', take]), valueInfo('ids', INT64, ['rows', take])]);
  const session: Ort.InferenceSession = await ort.InferenceSession.create(graph, onnxSessionOptions());
  return {
    best: async (block, rows) => {
      const out = await session.run({ q: new ort.Tensor('float32', block, [rows, d]) });
      return { values: out.values!.data as Float32Array, ids: Int32Array.from(out.ids!.data as BigInt64Array, Number) };
    },
    dispose: () => void session.release(),
  };
}
