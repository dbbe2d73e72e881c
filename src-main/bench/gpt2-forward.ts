// GPT-2-small-shaped forward (random weights, 12 layers, d 768, vocab 50257) on the active backend:
// harvesting activations at blocks.8.hook_resid_post with stopAt, and the full forward with logits;
// then the same two on ONNX Runtime, which runs the inference forward where the backend is wasm.
import { tf } from '../engine/backend.js';
import { seededRandom } from '../../src-shared/random.js';
import { loadOnnxRuntime, onnxThreads } from '../engine/onnx.js';
import type { Gpt2 } from '../model/gpt2.js';
import { OnnxGpt2 } from '../model/onnx-gpt2.js';
import { GPT2_SMALL, randomGpt2Small } from './gpt2-small.js';

const BATCH = 4;
const POS = 128;
const REPS = 3;
const HOOK = 'blocks.8.hook_resid_post';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Median wall and CPU milliseconds per call over REPS, after one warm-up call; `once` must finish
 * its work. CPU time counts every thread of the process (ONNX Runtime's pool too); on a GPU backend
 * only wall time means anything.
 */
async function timeMs(once: () => unknown): Promise<{ wall: number; cpu: number }> {
  await once();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await once();
    const used = process.cpuUsage(cpuStarted);
    wall.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

export async function run(): Promise<Record<string, number | string>> {
  const built = performance.now();
  const model = randomGpt2Small();
  const buildS = (performance.now() - built) / 1000;
  const uniform = seededRandom(1);
  const ids = Int32Array.from({ length: BATCH * POS }, () => Math.floor(uniform() * GPT2_SMALL.vocabSize));
  const tokens = tf.tensor2d(ids, [BATCH, POS], 'int32'); // [batch, pos]
  try {
    // Reading the values back makes sure asynchronous backends (CUDA) have finished the work.
    const harvest = await timeMs(() => {
      const { cache } = model.run(tokens, { stopAt: HOOK, cache: [HOOK] });
      cache.get(HOOK)!.dataSync();
      tf.dispose([...cache.values()]);
    });
    const full = await timeMs(() => {
      const { logits } = model.run(tokens);
      logits!.dataSync();
      logits!.dispose();
    });
    const tokensPerRun = BATCH * POS;
    const perSecond = (ms: number) => round(tokensPerRun / (ms / 1000));
    const onnx = await timeOnnx(model, ids, perSecond);
    return {
      model: 'gpt2-small shape, random weights (12 layers, d 768, 12 heads, vocab 50257)',
      batch: `${BATCH}x${POS}`,
      reps: REPS,
      build_s: round(buildS),
      harvest_hook: HOOK,
      harvest_ms: round(harvest.wall),
      harvest_tokens_per_s: perSecond(harvest.wall),
      harvest_tokens_per_cpu_s: perSecond(harvest.cpu),
      full_forward_ms: round(full.wall),
      full_forward_tokens_per_s: perSecond(full.wall),
      full_forward_tokens_per_cpu_s: perSecond(full.cpu),
      ...onnx,
    };
  } finally {
    tokens.dispose();
    model.dispose();
  }
}

/**
 * The same two forwards on ONNX Runtime, on one thread and on one per core (SAE_GPT2_THREADS, or
 * every core): the scaling over cores. Why it is missing when it is.
 */
async function timeOnnx(model: Gpt2, ids: Int32Array, perSecond: (ms: number) => number): Promise<Record<string, number | string>> {
  const ort = loadOnnxRuntime();
  if (!('runtime' in ort)) return { onnx: ort.error };
  const runner = OnnxGpt2.of(model, ort.runtime);
  const threads = onnxThreads();
  const out: Record<string, number | string> = {};
  const saved = process.env.SAE_GPT2_THREADS;
  try {
    for (const n of threads > 1 ? [1, threads] : [1]) {
      process.env.SAE_GPT2_THREADS = String(n); // read when a session is made, one session per thread count
      const built = performance.now();
      await runner.run(ids, BATCH, POS, { outputs: [HOOK] });
      await runner.run(ids, BATCH, POS, { outputs: [], logits: true });
      out[`onnx_${n}t_build_s`] = round((performance.now() - built) / 1000);
      const harvest = await timeMs(() => runner.run(ids, BATCH, POS, { outputs: [HOOK] }));
      const full = await timeMs(() => runner.run(ids, BATCH, POS, { outputs: [], logits: true }));
      out[`onnx_${n}t_harvest_tokens_per_s`] = perSecond(harvest.wall);
      out[`onnx_${n}t_harvest_tokens_per_cpu_s`] = perSecond(harvest.cpu);
      out[`onnx_${n}t_full_forward_tokens_per_s`] = perSecond(full.wall);
      out[`onnx_${n}t_full_forward_tokens_per_cpu_s`] = perSecond(full.cpu);
    }
  } finally {
    if (saved === undefined) delete process.env.SAE_GPT2_THREADS;
    else process.env.SAE_GPT2_THREADS = saved;
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
