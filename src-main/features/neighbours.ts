// Decoder-cosine neighbours: for each latent of SAE A, the k latents of SAE B whose decoder rows point
// the most the same way. Within one SAE (A = B, self excluded) these are similar features; across
// the sizes of a family they are the parent/child links of feature splitting. Blocks of A rows meet
// all of B in one matmul, B · blockᵀ then transposed: wasm's matMul streams its whole right operand
// per few rows of the left one, so the small block goes on the right (materialised: wasm's
// transposed-operand matMul is slower still).
import { tf } from '../engine/backend.js';
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
  const block = options.block ?? neighbourBlockRows(nB);
  const bUnit = tf.tidy(() => unitRows(tf.tensor2d(b, [nB, d]))); // [nB, d]
  const indices = new Int32Array(nA * k);
  const cosines = new Float32Array(nA * k);
  try {
    for (let start = 0; start < nA; start += block) {
      const rows = Math.min(block, nA - start);
      const best = tf.tidy(() => {
        const q = unitRows(tf.tensor2d(a.subarray(start * d, (start + rows) * d), [rows, d])); // [rows, d]
        return tf.topk(tf.transpose(tf.matMul(bUnit, tf.transpose(q))), take); // [nB, rows] → [rows, nB] → [rows, take]
      });
      const [values, ids] = await Promise.all([best.values.data(), best.indices.data()]);
      tf.dispose([best.values, best.indices]);
      for (let r = 0; r < rows; r++) {
        let out = 0;
        for (let j = 0; j < take && out < k; j++) {
          const id = ids[r * take + j];
          if (options.excludeSelf && id === start + r) continue;
          indices[(start + r) * k + out] = id;
          cosines[(start + r) * k + out] = values[r * take + j];
          out++;
        }
      }
    }
  } finally {
    bUnit.dispose();
  }
  return { k, indices, cosines };
}
