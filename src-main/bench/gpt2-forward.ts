// GPT-2-small-shaped forward (random weights, 12 layers, d 768, vocab 50257) on the active backend:
// harvesting activations at blocks.8.hook_resid_post with stopAt, and the full forward with logits;
// then the same two on ONNX Runtime, which runs the inference forward where the backend is wasm;
// then the tfjs forward on the model pool (model/pool.ts) with 1 and 2 model threads, each thread
// running its own batch of 4 × 128 at once, to measure how it scales with cores (what the evals,
// which stay on tfjs, and activations without ONNX Runtime run on).
import { engineInfo, tf } from '../engine/backend.js';
import { ModelPool } from '../model/pool.js';
import { seededRandom } from '../../src-shared/random.js';
import { loadOnnxRuntime, onnxThreads } from '../engine/onnx.js';
import type { Gpt2 } from '../model/gpt2.js';
import { OnnxGpt2 } from '../model/onnx-gpt2.js';
import { GPT2_SMALL, randomGpt2Small } from './gpt2-small.js';

const BATCH = 4;
const POS = 128;
const REPS = 3;
const HOOK = 'blocks.8.hook_resid_post';
/** Model threads the pool is measured with. */
const POOL_THREADS = [1, 2];

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
    // The process's CPU: every thread's, the pool's workers included (getrusage of the whole process).
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
    const perSecond = (ms: number, tokens = tokensPerRun) => round(tokens / (ms / 1000));
    const onnx = await timeOnnx(model, ids, perSecond);
    const pooled = engineInfo().backend === 'tensorflow' ? {} : await timePool(model, ids, perSecond);
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
      ...pooled,
    };
  } finally {
    tokens.dispose();
    model.dispose();
  }
}

/** The tfjs forward on the model pool with each of POOL_THREADS threads, every worker on its own batch at once; the scaling 1 → 2. */
async function timePool(model: Gpt2, ids: Int32Array, perSecond: (ms: number, tokens?: number) => number): Promise<Record<string, number | string>> {
  const tokensPerRun = BATCH * POS;
  const pooled: Record<string, number | string> = {};
  for (const threads of POOL_THREADS) {
    const pool = await ModelPool.start(model, threads);
    try {
      // One batch per thread at once: the pool's throughput when every worker is busy.
      const batches = () => Array.from({ length: threads }, () => ids.slice());
      const poolHarvest = await timeMs(() => Promise.all(batches().map((b) => pool.hookActivations(b, BATCH, POS, HOOK))));
      const poolFull = await timeMs(() => Promise.all(batches().map((b) => pool.losses(b, BATCH, POS))));
      const tokens = threads * tokensPerRun;
      pooled[`pool${threads}_harvest_tokens_per_s`] = perSecond(poolHarvest.wall, tokens);
      pooled[`pool${threads}_harvest_cpu_per_wall`] = round(poolHarvest.cpu / poolHarvest.wall);
      pooled[`pool${threads}_full_forward_tokens_per_s`] = perSecond(poolFull.wall, tokens);
      pooled[`pool${threads}_full_forward_cpu_per_wall`] = round(poolFull.cpu / poolFull.wall);
      const memory = await pool.memory();
      pooled[`pool${threads}_worker_heap_mib`] = round(Math.max(...memory.map((m) => m.heapBytes)) / 2 ** 20);
    } finally {
      await pool.dispose();
    }
  }
  const [one, two] = POOL_THREADS.map((t) => `pool${t}`);
  pooled.scaling_harvest_1_to_2 = round((pooled[`${two}_harvest_tokens_per_s`] as number) / (pooled[`${one}_harvest_tokens_per_s`] as number));
  pooled.scaling_full_forward_1_to_2 = round((pooled[`${two}_full_forward_tokens_per_s`] as number) / (pooled[`${one}_full_forward_tokens_per_s`] as number));
  pooled.weights_mib = round([...model.hostWeights().values()].reduce((a, w) => a + w.byteLength, 0) / 2 ** 20);
  return pooled;
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
