// Causal self-attention alone (scores, mask, softmax, ·v, and its gradients w.r.t. q, k and v) on
// GPT-2 small's shape and on the lm-train bench's, by the path attention() takes (the fused kernel on
// wasm) and by the tfjs-op path it takes when attn.hook_pattern is watched (batched matMuls).
import { tf } from '../engine/backend.js';
import { attend } from '../model/attention.js';
import { HookContext } from '../model/hooks.js';

const REPS = 5;

export interface AttentionShape {
  batch: number;
  heads: number;
  pos: number;
  dHead: number;
}

export const SHAPES: Record<string, AttentionShape> = {
  gpt2_small: { batch: 4, heads: 12, pos: 128, dHead: 64 },
  lm_train: { batch: 16, heads: 4, pos: 128, dHead: 32 },
};

/** Median wall and CPU milliseconds over REPS after one warm-up; CPU time is what a shared machine distorts least. */
function timeMs(once: () => void): { wall: number; cpu: number } {
  once();
  const runs = Array.from({ length: REPS }, () => {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    once();
    const used = process.cpuUsage(cpuStarted);
    return { wall: performance.now() - started, cpu: (used.user + used.system) / 1000 };
  });
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
}

export async function run(shapes: Record<string, AttentionShape> = SHAPES): Promise<Record<string, number | string>> {
  const results: Record<string, number | string> = { reps: REPS };
  const tfjsOps = () => new HookContext(1, { hooks: [{ name: 'blocks.0.attn.hook_pattern', fn: () => {} }] });
  const paths = { default: () => new HookContext(1), tfjs_ops: tfjsOps };
  for (const [shapeName, { batch, heads, pos, dHead }] of Object.entries(shapes)) {
    results[`${shapeName}_shape`] = `batch ${batch}, heads ${heads}, pos ${pos}, d_head ${dHead}`;
    const [q, k, v, dz] = [0, 1, 2, 3].map((seed) => tf.randomNormal([batch, heads, pos, dHead], 0, 1, 'float32', seed) as tf.Tensor4D);
    try {
      for (const [pathName, hooks] of Object.entries(paths)) {
        const forward = timeMs(() => tf.tidy(() => void attend(q, k, v, 0, hooks()).dataSync()));
        const gradients = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => attend(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, 0, hooks()).mul(dz).sum());
        const both = timeMs(() => tf.tidy(() => gradients([q, k, v]).forEach((g) => g.dataSync())));
        results[`${shapeName}_${pathName}_forward_ms`] = round(forward.wall);
        results[`${shapeName}_${pathName}_forward_cpu_ms`] = round(forward.cpu);
        results[`${shapeName}_${pathName}_forward_backward_ms`] = round(both.wall);
        results[`${shapeName}_${pathName}_forward_backward_cpu_ms`] = round(both.cpu);
      }
    } finally {
      tf.dispose([q, k, v, dz]);
    }
  }
  results.note = 'default is the path attention() takes (on wasm the fused kernel); tfjs_ops is the batched-matMul path it keeps for a watched attn.hook_pattern and for other backends; forward_backward includes the forward';
  return results;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
