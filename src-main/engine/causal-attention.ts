// Causal self-attention as two wasm kernels working on the tensors in place. tfjs-wasm's batched
// matMul runs at 1–2 GFLOP/s, so q·kᵀ and pattern·v as 4-D products cost more than the rest of a
// block; here each query row is a few SIMD loops (simd.ts) over only the keys it may see, so the
// masked upper triangle is never computed. For one (batch, head) block, query i at absolute
// position past+i sees keys j ≤ past+i (n_i of them), s = 1/√d_head:
//   forward   P_i = softmax_j(s · q_i·k_j),  z_i = Σ_j P_ij v_j
//   backward  dP_ij = dz_i·v_j,  dS_ij = P_ij (dP_ij − Σ_j' P_ij' dP_ij')   (the softmax Jacobian)
//             dq_i = s Σ_j dS_ij k_j,  dk_j = s Σ_i dS_ij q_i,  dv_j = Σ_i P_ij dz_i
// The softmax runs in JavaScript (WebAssembly has no exp): n_i exps per row, a small share of the
// 4·n_i·d_head (forward) or 8·n_i·d_head (backward) flops beside it.
import type * as tf from '@tensorflow/tfjs';
import { address, simdOps, type KernelArgs, type WasmBackendLike } from './wasm-heap.js';

/** Names of the kernels, shared with model/attention.ts. */
export const ATTENTION_KERNELS = { forward: 'CausalAttention', backward: 'CausalAttentionGrad' } as const;

interface Blocks {
  /** batch · heads. */
  blocks: number;
  /** Query positions per block. */
  queries: number;
  /** Key positions per block: earlier (cached) positions, then the queries'. */
  keys: number;
  dHead: number;
}

/** Checks q [batch, head, pos, d_head] against k and v [batch, head, keys, d_head] (keys ≥ pos) and the extra [.., pos, x] inputs. */
function blockShapes(name: string, q: tf.TensorInfo, k: tf.TensorInfo, v: tf.TensorInfo, extra: Record<string, [tf.TensorInfo, 'keys' | 'dHead']>): Blocks {
  for (const [label, t] of Object.entries({ q, k, v, ...Object.fromEntries(Object.entries(extra).map(([l, [t]]) => [l, t])) })) {
    if (t.shape.length !== 4 || t.dtype !== 'float32') throw new Error(`${name}: ${label} must be float32 [batch, head, pos, d], got ${t.dtype} [${t.shape}]`);
  }
  const [batch, heads, queries, dHead] = q.shape;
  const keys = k.shape[2];
  const want = (label: string, t: tf.TensorInfo, shape: number[]) => {
    if (t.shape.join() !== shape.join()) throw new Error(`${name}: ${label} must be [${shape}] to match q [${q.shape}], got [${t.shape}]`);
  };
  if (keys < queries) throw new Error(`${name}: k has ${keys} positions, fewer than q's ${queries}; keys are the cached positions followed by the queries'`);
  want('k', k, [batch, heads, keys, dHead]);
  want('v', v, [batch, heads, keys, dHead]);
  for (const [label, [t, last]] of Object.entries(extra)) want(label, t, [batch, heads, queries, last === 'keys' ? keys : dHead]);
  return { blocks: batch * heads, queries, keys, dHead };
}

/** q, k, v → [z [batch, head, pos, d_head], pattern [batch, head, pos, keys]], the pattern 0 above the diagonal. */
function causalAttention({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const wasm = backend as WasmBackendLike;
  const { q, k, v } = inputs as Record<string, tf.TensorInfo>;
  const { blocks, queries, keys, dHead } = blockShapes(ATTENTION_KERNELS.forward, q, k, v, {});
  const z = wasm.makeOutput(q.shape, 'float32');
  const pattern = wasm.makeOutput([...q.shape.slice(0, 3), keys], 'float32');
  // Views are taken after the last allocation: growing the memory detaches earlier ones.
  const zValues = wasm.typedArrayFromHeap(z) as Float32Array;
  const p = wasm.typedArrayFromHeap(pattern) as Float32Array;
  zValues.fill(0);
  const ops = simdOps(wasm);
  const [qAt, kAt, vAt, zAt, pAt] = [q, k, v, z, pattern].map((t) => address(wasm, t));
  const scale = 1 / Math.sqrt(dHead);
  const past = keys - queries;
  for (let b = 0; b < blocks; b++) {
    const keyRow0 = b * keys * dHead;
    for (let i = 0; i < queries; i++) {
      const n = past + i + 1;
      const row = (b * queries + i) * keys;
      const query = (b * queries + i) * dHead;
      ops.dots(pAt + 4 * row, kAt + 4 * keyRow0, qAt + 4 * query, n, dHead);
      let max = -Infinity;
      for (let j = row; j < row + n; j++) max = Math.max(max, p[j]);
      let sum = 0;
      for (let j = row; j < row + n; j++) {
        const e = Math.exp((p[j] - max) * scale);
        p[j] = e;
        sum += e;
      }
      const inverse = 1 / sum;
      for (let j = row; j < row + n; j++) p[j] *= inverse;
      p.fill(0, row + n, row + keys);
      ops.combine(zAt + 4 * query, pAt + 4 * row, vAt + 4 * keyRow0, n, dHead);
    }
  }
  return [z, pattern];
}

/** q, k, v, the forward's pattern and dz [batch, head, pos, d_head] → [dq, dk, dv]. */
function causalAttentionGrad({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const wasm = backend as WasmBackendLike;
  const { q, k, v, pattern, dz } = inputs as Record<string, tf.TensorInfo>;
  const { blocks, queries, keys, dHead } = blockShapes(ATTENTION_KERNELS.backward, q, k, v, { pattern: [pattern, 'keys'], dz: [dz, 'dHead'] });
  const [dq, dk, dv] = [q, k, v].map((t) => wasm.makeOutput(t.shape, 'float32'));
  const scratch = wasm.makeOutput([keys], 'float32'); // dP, then dS, of one query row
  try {
    const [dqValues, dkValues, dvValues] = [dq, dk, dv].map((t) => wasm.typedArrayFromHeap(t) as Float32Array);
    const p = wasm.typedArrayFromHeap(pattern) as Float32Array;
    const ds = wasm.typedArrayFromHeap(scratch) as Float32Array;
    for (const values of [dqValues, dkValues, dvValues]) values.fill(0);
    const ops = simdOps(wasm);
    const [qAt, kAt, vAt, pAt, dzAt, dqAt, dkAt, dvAt, dsAt] = [q, k, v, pattern, dz, dq, dk, dv, scratch].map((t) => address(wasm, t));
    const scale = 1 / Math.sqrt(dHead);
    const past = keys - queries;
    for (let b = 0; b < blocks; b++) {
      const keyRow0 = 4 * b * keys * dHead;
      for (let i = 0; i < queries; i++) {
        const n = past + i + 1;
        const row = (b * queries + i) * keys;
        const query = 4 * (b * queries + i) * dHead;
        ops.dots(dsAt, vAt + keyRow0, dzAt + query, n, dHead);
        let along = 0;
        for (let j = 0; j < n; j++) along += p[row + j] * ds[j];
        for (let j = 0; j < n; j++) ds[j] = scale * p[row + j] * (ds[j] - along);
        ops.combine(dqAt + query, dsAt, kAt + keyRow0, n, dHead);
        ops.spread(dkAt + keyRow0, dsAt, qAt + query, n, dHead);
        ops.spread(dvAt + keyRow0, pAt + 4 * row, dzAt + query, n, dHead);
      }
    }
  } finally {
    wasm.disposeData(scratch.dataId);
  }
  return [dq, dk, dv];
}

/** The kernels to register on wasm where SIMD runs. */
export const attentionKernels: Array<[string, (args: KernelArgs) => tf.TensorInfo[]]> = [
  [ATTENTION_KERNELS.forward, causalAttention],
  [ATTENTION_KERNELS.backward, causalAttentionGrad],
];
