// Language-model pretraining throughput on the shape of the PyTorch reference
// (`torch_ref.py lm`: 4 layers, d_model 128, 4 heads, ctx 128, batch 16, full 50,257-token softmax,
// AdamW): one timed training step = forward, loss, backward and the AdamW update of lm/trainer.ts.
// Measured with the softmax over SOTU's 25,138 distinct tokens plus the shared row of the absent
// ones (what `lm train` does on SOTU; exact, see lm/loss.ts) and over the full vocabulary, each in
// this thread and data-parallel over `threads` worker threads (lm/parallel.ts, `lm train --threads`),
// with attention as tfjs ops (`lm train`'s default) and as the fused wasm kernel (`--attention kernel`),
// and with the unembedding and cross-entropy on tfjs or on ONNX Runtime (`--loss-runtime`; lm/onnx-loss.ts).
// Tokens are random draws from the vocabulary: step time does not depend on which tokens they are.
import { tf } from '../engine/backend.js';
import { validateLmTrainConfig } from '../lm/config.js';
import type { AttentionPath } from '../model/attention.js';
import { rowOffsets, rowOffsetValues } from '../lm/loss.js';
import { OnnxLoss } from '../lm/onnx-loss.js';
import { onnxThreads } from '../engine/onnx.js';
import { AdamW } from '../lm/optimizer.js';
import { compactRows, makeTrainVocab, TrainableGpt2 } from '../lm/params.js';
import { lossAndGrads } from '../lm/loss.js';
import { DataParallel } from '../lm/parallel.js';
import { randomGpt2Tensors, tinyGpt2Config } from '../model/tiny.js';
import { seededRandom } from '../../src-shared/random.js';

export interface LmTrainBenchOptions {
  layers: number;
  dModel: number;
  heads: number;
  ctx: number;
  batch: number;
  /** Distinct tokens of the training corpus (SOTU: 25,138). */
  corpusTokens: number;
  /** Timed steps after one warm-up step; the median is reported. */
  steps: number;
  /** Worker threads of the data-parallel figures. */
  threads: number;
}

export const DEFAULT_OPTIONS: LmTrainBenchOptions = { layers: 4, dModel: 128, heads: 4, ctx: 128, batch: 16, corpusTokens: 25138, steps: 3, threads: 2 };

export async function run(options: Partial<LmTrainBenchOptions> = {}): Promise<Record<string, number | string>> {
  const o = { ...DEFAULT_OPTIONS, ...options };
  const results: Record<string, number | string> = { layers: o.layers, d_model: o.dModel, heads: o.heads, ctx: o.ctx, batch: o.batch, timed_steps: o.steps };
  // The first wave's path and today's default (the kernel alone on tfjs is in docs/benchmarks.md's 2026-12-01 07:15 sitting).
  const paths = [
    { attention: 'ops', loss: 'tfjs' },
    { attention: 'kernel', loss: 'onnx' },
  ] as const;
  const cases = paths.flatMap((path) => [...new Set([1, o.threads])].flatMap((threads) => (['corpus_vocab', 'full_vocab'] as const).map((vocab) => ({ ...path, threads, vocab }))));
  for (const { attention, loss, threads, vocab } of cases) {
    const label = `${threads === 1 ? vocab : `${vocab}_threads_${threads}`}${attention === 'kernel' ? '_attention_kernel' : ''}${loss === 'onnx' ? '_loss_onnx' : ''}`;
    const { wall, cpu, sync, adamw } = await medianStep(o, vocab === 'full_vocab' ? 50257 : o.corpusTokens, threads, attention, loss);
    results[`step_s_${label}`] = round(wall);
    results[`step_cpu_s_${label}`] = round(cpu);
    results[`step_adamw_s_${label}`] = round(adamw);
    if (threads > 1) results[`step_sync_s_${label}`] = round(sync);
    results[`tokens_per_s_${label}`] = Math.round((o.batch * o.ctx) / wall);
  }
  results.vocab_rows_corpus = o.corpusTokens;
  results.note =
    'corpus_vocab is what lm train runs on SOTU; _attention_kernel is lm train --attention kernel; _loss_onnx is --loss-runtime onnx; compare tokens_per_s_full_vocab(_threads_N) with torch_ref.py lm for the same work; ' +
    'step_cpu_s counts every thread of the process; step_adamw_s is clipping and AdamW (in the main thread either way); step_sync_s is what the main thread spends publishing parameters and adding the workers\' gradients';
  return results;
}

async function medianStep(o: LmTrainBenchOptions, vocabTokens: number, threads: number, attention: AttentionPath, loss: 'tfjs' | 'onnx'): Promise<{ wall: number; cpu: number; sync: number; adamw: number }> {
  const config = validateLmTrainConfig({ out: 'unused', tokens: o.batch * o.ctx, layers: o.layers, dModel: o.dModel, heads: o.heads, ctx: o.ctx, batch: o.batch });
  const modelConfig = tinyGpt2Config({ layers: o.layers, dModel: o.dModel, heads: o.heads, ctx: o.ctx, seed: 0, overwrite: false });
  const vocab = makeTrainVocab(Int32Array.from({ length: vocabTokens }, (_, i) => Math.round((i * (modelConfig.vocabSize - 1)) / Math.max(1, vocabTokens - 1))), modelConfig.vocabSize);
  const model = TrainableGpt2.fromFull(modelConfig, vocab, randomGpt2Tensors(modelConfig, 0));
  model.attention = attention;
  const optimizer = AdamW.create(model.params);
  const rows = compactRows(vocab);
  const offsets = rowOffsets(rows, vocab.absent);
  const uniform = seededRandom(1);
  const ids = (n: number) => Int32Array.from({ length: n }, () => Math.floor(uniform() * vocab.ids.length));
  const batch = { inputs: ids(o.batch * o.ctx), targets: ids(o.batch * o.ctx), windows: o.batch };
  const inputs = tf.tensor2d(batch.inputs, [o.batch, o.ctx], 'int32');
  const targets = tf.tensor1d(batch.targets, 'int32');
  const hyper = { lr: config.lr, beta1: config.beta1, beta2: config.beta2, eps: config.eps, weightDecay: config.weightDecay, gradClip: config.gradClip };
  if (loss === 'onnx') model.onnxLoss = await OnnxLoss.start({ dModel: o.dModel, offsets: rowOffsetValues(rows, vocab.absent), maxRows: o.batch * o.ctx, threads: onnxThreads() });
  const parallel = threads > 1 ? await DataParallel.start(threads, model, loss === 'onnx' ? Math.ceil(o.batch / threads) * o.ctx : undefined) : undefined;
  /** One step; returns the seconds of AdamW and of the main thread's synchronisation (0 in this thread). */
  const step = async (t: number): Promise<{ sync: number; adamw: number }> => {
    let sync = 0;
    let grads: Map<string, tf.Tensor>;
    if (parallel) {
      ({ grads, syncSeconds: sync } = await parallel.lossAndGrads(model, batch, o.ctx));
    } else {
      const computed = lossAndGrads(model, inputs, targets, offsets);
      computed.loss.dataSync();
      computed.loss.dispose();
      grads = computed.grads;
    }
    const started = performance.now();
    optimizer.step(model.params, grads, hyper, t);
    const adamw = (performance.now() - started) / 1000;
    tf.dispose([...grads.values()]);
    return { sync, adamw };
  };
  try {
    await step(1);
    const times: Array<{ wall: number; cpu: number; sync: number; adamw: number }> = [];
    for (let s = 0; s < o.steps; s++) {
      const started = performance.now();
      const cpuStart = process.cpuUsage();
      const parts = await step(s + 2);
      const cpu = process.cpuUsage(cpuStart);
      times.push({ wall: (performance.now() - started) / 1000, cpu: (cpu.user + cpu.system) / 1e6, ...parts });
    }
    times.sort((a, b) => a.wall - b.wall);
    return times[Math.floor(times.length / 2)];
  } finally {
    await parallel?.dispose();
    await model.onnxLoss?.dispose();
    tf.dispose([inputs, targets, offsets]);
    optimizer.dispose();
    model.dispose();
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
