// Pretrains a GPT-2 from scratch, or continues one, on a corpus: windows of the training documents
// in a seeded order → forward and loss (loss.ts) → gradients → AdamW with warm-up and cosine decay.
// Held-out loss at intervals; atomic checkpoints from which `resume` continues exactly (parameters,
// AdamW moments and the step, which alone fixes the data position); cancelling saves one first; a
// non-finite loss stops the run and keeps the last good checkpoint. Snapshot folders are kept at
// chosen fractions of the tokens. The result is a standard GPT-2 folder in `out`. With threads > 1
// the loss and gradients come from worker threads (parallel.ts); everything else stays here.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { tf } from '../engine/backend.js';
import { gpt2OnnxRuntime, onnxThreads } from '../engine/onnx.js';
import { writeJsonAtomic } from '../io/atomic.js';
import type { Gpt2Config } from '../model/config.js';
import { loadGpt2Weights } from '../model/load.js';
import { GPT2_VOCAB, tinyGpt2Config, randomGpt2Tensors } from '../model/tiny.js';
import { disposeGpt2Weights, expectedShapes, namedWeights } from '../model/weights.js';
import type { Gpt2Tokenizer } from '../tokenizer/bpe.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { readTensorCheckpoint, writeTensorCheckpoint } from '../train/checkpoint.js';
import { RESUMABLE_CHANGES, learningRate, totalSteps, validateLmTrainConfig, type LmTrainConfig, type LossRuntime } from './config.js';
import { corpusTokenIds, readLmData, unigramHeldOutLoss, WindowOrder, type LmData } from './data.js';
import type { LmRunResult, LmTrainEvent, LmTrainEventHandler } from './events.js';
import { writeGpt2Files, writeGpt2Folder } from './export.js';
import { finalHidden, lossAndGrads, rowOffsets, rowOffsetValues, summedCrossEntropy } from './loss.js';
import { OnnxLoss } from './onnx-loss.js';
import { AdamW } from './optimizer.js';
import { checkThreads, DataParallel, type BatchIds } from './parallel.js';
import { compactIndex, makeTrainVocab, TrainableGpt2, type HostTensors, type TrainVocab } from './params.js';

export const LM_CHECKPOINT_FILE = 'checkpoint.safetensors';
/** The run's record beside the model: config, held-out and training losses over training, the unigram baseline. */
export const LM_TRAINING_FILE = 'lm_training.json';

export interface LmTrainContext {
  onEvent?: LmTrainEventHandler;
  /** Aborting saves a checkpoint after the current step and returns with status 'cancelled'. */
  signal?: AbortSignal;
}

export interface LmTrainOutcome {
  status: 'finished' | 'cancelled';
  step: number;
  result: LmRunResult | null;
}

/** A loss (nats/token) after `step` steps, `tokens` training tokens. */
export interface LossPoint {
  step: number;
  tokens: number;
  loss: number;
}

/** What a checkpoint stores besides the tensors. */
interface LmCheckpointMeta {
  config: LmTrainConfig;
  model: Gpt2Config;
  vocabIds: number[];
  step: number;
  elapsedSeconds: number;
  heldOut: LossPoint[];
  /** The latest reported training loss, so a run resumed at its last step still reports one. */
  trainLoss: number | null;
  /** Every reported training loss; absent from checkpoints of older versions, whose history then starts at the resumed step. */
  train?: LossPoint[];
}

function checkResumable(saved: LmTrainConfig, now: LmTrainConfig, file: string): void {
  for (const key of Object.keys({ ...saved, ...now }) as Array<keyof LmTrainConfig>) {
    if (RESUMABLE_CHANGES.includes(key)) continue;
    if (JSON.stringify(saved[key]) !== JSON.stringify(now[key])) {
      throw new Error(`--resume: ${file} was trained with ${key} = ${JSON.stringify(saved[key])}, but this run has ${JSON.stringify(now[key])}; use the same value or another --out`);
    }
  }
}

function hostTensorsOf(names: string[], file: ReturnType<typeof readTensorCheckpoint>['tensors'], prefix: string): HostTensors {
  const out: HostTensors = new Map();
  for (const name of names) out.set(name, { shape: file.info(`${prefix}${name}`).shape, data: file.getFloat32(`${prefix}${name}`) });
  return out;
}

/** The starting model: a seeded GPT-2 initialisation over the tokenizer's vocabulary, or the weights of `from`. */
function initialTensors(config: LmTrainConfig, tokenizer: Gpt2Tokenizer): { model: Gpt2Config; tensors: HostTensors } {
  if (config.from === undefined) {
    const vocab = config.tokenizer === undefined ? GPT2_VOCAB : { vocabSize: tokenizer.vocabSize, eotId: tokenizer.eotId };
    const model = tinyGpt2Config({ layers: config.layers, dModel: config.dModel, heads: config.heads, ctx: config.ctx, seed: config.seed, overwrite: false }, vocab);
    return { model, tensors: randomGpt2Tensors(model, config.seed) };
  }
  const { config: model, weights } = loadGpt2Weights(config.from);
  try {
    if (config.ctx > model.nPositions) throw new Error(`lm train config: ctx ${config.ctx} exceeds the ${model.nPositions} positions of ${config.from}`);
    const tensors: HostTensors = new Map();
    for (const [name, t] of namedWeights(weights)) tensors.set(name, { shape: t.shape, data: t.dataSync() as Float32Array });
    return { model, tensors };
  } finally {
    disposeGpt2Weights(weights);
  }
}

/** Whether the loss runs on ONNX Runtime: "auto" as GPT-2's inference forward decides (engine/onnx.ts); "onnx" insists. */
function lossOnOnnx(choice: LossRuntime): boolean {
  if (choice === 'tfjs') return false;
  return gpt2OnnxRuntime(choice === 'onnx' ? 'onnx' : 'auto') !== undefined;
}

/** Inputs and targets [batch·ctx] in compact ids, from windows of ctx + 1 tokens. */
function batchIds(windows: Uint16Array, contextSize: number, picked: ArrayLike<number>, index: Int32Array): BatchIds {
  const ctx = contextSize - 1;
  const inputs = new Int32Array(picked.length * ctx);
  const targets = new Int32Array(picked.length * ctx);
  for (let b = 0; b < picked.length; b++) {
    const base = picked[b] * contextSize;
    for (let p = 0; p < ctx; p++) {
      inputs[b * ctx + p] = index[windows[base + p]];
      targets[b * ctx + p] = index[windows[base + p + 1]];
    }
  }
  return { inputs, targets, windows: picked.length };
}

/** Inputs [batch, ctx] and targets [batch·ctx] in compact ids, as tensors. */
function batchTensors(windows: Uint16Array, contextSize: number, picked: ArrayLike<number>, index: Int32Array): { inputs: tf.Tensor2D; targets: tf.Tensor1D } {
  const { inputs, targets } = batchIds(windows, contextSize, picked, index);
  return { inputs: tf.tensor2d(inputs, [picked.length, contextSize - 1], 'int32'), targets: tf.tensor1d(targets, 'int32') };
}

/** Mean held-out cross-entropy (nats/token) of the current parameters, `batch` windows at a time. */
export function heldOutLoss(model: TrainableGpt2, data: LmData, index: Int32Array, offsets: tf.Tensor1D, batch: number): number {
  const { heldOut } = data;
  let sum = 0;
  for (let start = 0; start < heldOut.count; start += batch) {
    const picked = Array.from({ length: Math.min(batch, heldOut.count - start) }, (_, i) => start + i);
    const { inputs, targets } = batchTensors(heldOut.tokens, heldOut.contextSize, picked, index);
    try {
      const x = tf.tidy(() => {
        const final = finalHidden(model, inputs); // [b, ctx, d_model]
        return final.reshape([final.shape[0] * final.shape[1], final.shape[2]]) as tf.Tensor2D; // [b·ctx, d_model]
      });
      sum += summedCrossEntropy(x, model.weights.wte, offsets, targets, model.onnxLoss);
      x.dispose();
    } finally {
      tf.dispose([inputs, targets]);
    }
  }
  return sum / (heldOut.count * (heldOut.contextSize - 1));
}

/** The tokenizer the corpus is read with: `tokenizer`'s fitted BPE, else that of `from`, else GPT-2's. */
async function loadRunTokenizer(config: LmTrainConfig): Promise<Gpt2Tokenizer> {
  if (config.tokenizer === undefined) return loadTokenizer(config.from);
  const missing = ['vocab.json', 'merges.txt'].filter((name) => !existsSync(path.join(config.tokenizer!, name)));
  if (missing.length > 0) throw new Error(`--tokenizer ${config.tokenizer}: no ${missing.join(' or ')} there; make one with sae-explorer lm tokenizer --out ${config.tokenizer}`);
  return loadTokenizer(config.tokenizer);
}

export async function trainLm(input: unknown, context: LmTrainContext = {}): Promise<LmTrainOutcome> {
  const config = validateLmTrainConfig(input);
  const emit: LmTrainEventHandler = context.onEvent ?? (() => {});
  const log = (message: string, level: 'info' | 'warn' = 'info') => emit({ type: 'log', level, message });
  const threadsWarning = checkThreads(config.threads);
  if (threadsWarning) log(threadsWarning, 'warn');
  const { signal } = context;
  mkdirSync(config.out, { recursive: true });
  const checkpointPath = path.join(config.out, LM_CHECKPOINT_FILE);
  // A kill during a checkpoint write leaves its temporary sibling behind (never the checkpoint itself).
  for (const name of readdirSync(config.out)) if (name.startsWith(`.${LM_CHECKPOINT_FILE}.`) && name.endsWith('.tmp')) rmSync(path.join(config.out, name), { force: true });
  const resumed = config.resume ? readTensorCheckpoint<LmCheckpointMeta>(checkpointPath) : undefined;
  if (resumed) checkResumable(resumed.meta.config, config, checkpointPath);
  else if (existsSync(checkpointPath)) throw new Error(`${checkpointPath} exists from an earlier run: pass --resume to continue it, or choose another --out`);
  else if (existsSync(path.join(config.out, 'model.safetensors'))) throw new Error(`${config.out} already holds a model (model.safetensors); choose another --out`);

  const steps = totalSteps(config);
  const stepTokens = config.batch * config.ctx;
  const tokenizer = await loadRunTokenizer(config);
  log(`reading ${config.dataset}: every ${config.holdoutEvery}th document held out, windows of ${config.ctx} tokens`);
  const data = await readLmData(config, tokenizer, steps * config.batch, signal);
  const start = resumed ? { model: resumed.meta.model, tensors: undefined } : initialTensors(config, tokenizer);
  const modelConfig = start.model;
  if (config.tokenizer !== undefined && (modelConfig.vocabSize !== tokenizer.vocabSize || modelConfig.eosTokenId !== tokenizer.eotId)) {
    throw new Error(`--resume: ${checkpointPath} has a vocabulary of ${modelConfig.vocabSize} tokens (<|endoftext|> ${modelConfig.eosTokenId}), but ${config.tokenizer} now has ${tokenizer.vocabSize} (<|endoftext|> ${tokenizer.eotId}); the tokenizer was refitted`);
  }
  const vocabIds = config.vocab === 'full' ? Int32Array.from({ length: modelConfig.vocabSize }, (_, i) => i) : corpusTokenIds(data, modelConfig.eosTokenId);
  if (resumed && resumed.meta.vocabIds.join() !== vocabIds.join()) {
    throw new Error(`--resume: ${checkpointPath} was trained on a vocabulary of ${resumed.meta.vocabIds.length} tokens, but ${config.dataset} now gives ${vocabIds.length}; the corpus changed`);
  }
  const vocab: TrainVocab = makeTrainVocab(vocabIds, modelConfig.vocabSize);
  const index = compactIndex(vocab, modelConfig.vocabSize);
  const unigramLoss = unigramHeldOutLoss(data, corpusTokenIds(data, modelConfig.eosTokenId));
  if (data.train.count * config.ctx < steps * stepTokens) {
    log(`the training documents hold ${data.train.count * config.ctx} tokens; the run needs ${steps * stepTokens}, so it repeats them (${((steps * stepTokens) / (data.train.count * config.ctx)).toFixed(1)} epochs)`, 'warn');
  }

  let model: TrainableGpt2 | undefined;
  let optimizer: AdamW | undefined;
  let parallel: DataParallel | undefined;
  const offsets = rowOffsets(vocab.ids.length + (vocab.absent > 0 ? 1 : 0), vocab.absent);
  try {
    const paramNames = [...expectedShapes(modelConfig).keys()];
    if (resumed) {
      model = TrainableGpt2.fromCompact(modelConfig, vocab, hostTensorsOf(paramNames, resumed.tensors, 'p.'));
      optimizer = AdamW.create(model.params, new Map([...hostTensorsOf(paramNames.map((n) => `m.${n}`), resumed.tensors, ''), ...hostTensorsOf(paramNames.map((n) => `v.${n}`), resumed.tensors, '')]));
      log(`resumed ${checkpointPath} at step ${resumed.meta.step} of ${steps}`);
      const savedThreads = resumed.meta.config.threads ?? 1;
      if (savedThreads !== config.threads) {
        log(`the checkpoint was trained on ${savedThreads} thread(s) and continues on ${config.threads}: the gradients' sums change order, so the weights differ from an uninterrupted run by float rounding`, 'warn');
      }
    } else {
      model = TrainableGpt2.fromFull(modelConfig, vocab, start.tensors!);
      optimizer = AdamW.create(model.params);
    }
    const m = model;
    m.attention = config.attention;
    const opt = optimizer;
    const onnxLoss = lossOnOnnx(config.lossRuntime);
    if (onnxLoss) {
      // This thread's loss serves the single-thread step and the held-out evaluations.
      m.onnxLoss = await OnnxLoss.start({ dModel: modelConfig.nEmbd, offsets: rowOffsetValues(offsets.size, vocab.absent), maxRows: config.batch * config.ctx, threads: onnxThreads() });
    }
    if (config.threads > 1) parallel = await DataParallel.start(config.threads, m, onnxLoss ? Math.ceil(config.batch / config.threads) * config.ctx : undefined);
    const workers = parallel;
    const parameters = paramNames.reduce((sum, name) => sum + (name === 'wte.weight' ? modelConfig.vocabSize * modelConfig.nEmbd : m.params.get(name)!.size), 0);
    log(
      `training a ${modelConfig.nLayer}-layer GPT-2 (d_model ${modelConfig.nEmbd}, ${modelConfig.nHead} heads, ${(parameters / 1e6).toFixed(2)}M parameters) for ${steps} steps of ${config.batch} × ${config.ctx} tokens` +
        `${config.threads > 1 ? ` on ${config.threads} worker threads` : ''}; ` +
        `softmax over ${vocab.ids.length} tokens${vocab.absent > 0 ? ` + 1 row shared by the ${vocab.absent} absent from the corpus` : ''} on ${onnxLoss ? 'ONNX Runtime' : 'tfjs'}; unigram held-out loss ${unigramLoss.toFixed(3)}`,
    );

    const order = new WindowOrder(data.train.count, config.seed);
    let step = resumed?.meta.step ?? 0;
    const heldOut: LossPoint[] = resumed?.meta.heldOut ?? [];
    const train: LossPoint[] = resumed?.meta.train ?? [];
    const elapsedBefore = resumed?.meta.elapsedSeconds ?? 0;
    const sessionStart = performance.now();
    const sessionStartStep = step;
    const sessionSeconds = () => (performance.now() - sessionStart) / 1000;
    let lastCheckpoint: number | undefined = resumed ? step : undefined;
    let lossSum = 0;
    let lossCount = 0;
    let reportedLoss = resumed?.meta.trainLoss ?? NaN;

    const saveCheckpoint = (): void => {
      const meta: LmCheckpointMeta = { config, model: modelConfig, vocabIds: Array.from(vocabIds), step, elapsedSeconds: elapsedBefore + sessionSeconds(), heldOut, trainLoss: Number.isFinite(reportedLoss) ? reportedLoss : null, train };
      const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
      for (const [name, t] of m.compactTensors()) tensors[`p.${name}`] = { dtype: 'F32', ...t };
      for (const [name, t] of opt.state()) tensors[name] = { dtype: 'F32', ...t };
      writeTensorCheckpoint(checkpointPath, meta, tensors);
      lastCheckpoint = step;
      emit({ type: 'checkpoint', step, path: checkpointPath });
    };
    const evaluate = (): number => {
      const loss = heldOutLoss(m, data, index, offsets, config.batch);
      heldOut.push({ step, tokens: step * stepTokens, loss });
      emit({ type: 'eval', step, tokens: step * stepTokens, heldOutLoss: loss, unigramLoss });
      return loss;
    };
    const snapshotSteps = new Map(config.keepAt.map((f) => [Math.max(1, Math.ceil(f * steps)), f]));

    while (step < steps) {
      // On wasm every await below may settle as a microtask; the SIGINT handler and the app's cancel
      // message only run if the event loop gets a turn.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) {
        saveCheckpoint();
        log(`cancelled at step ${step}; checkpoint saved, continue with --resume`, 'warn');
        emit({ type: 'done', status: 'cancelled', step, result: null });
        return { status: 'cancelled', step, result: null };
      }
      const picked = order.batch(step, config.batch);
      const t = step + 1;
      const lr = learningRate(config, t);
      let grads: Map<string, tf.Tensor>;
      let stepLoss: number;
      if (workers) {
        ({ loss: stepLoss, grads } = await workers.lossAndGrads(m, batchIds(data.train.tokens, data.train.contextSize, picked, index), config.ctx));
      } else {
        const { inputs, targets } = batchTensors(data.train.tokens, data.train.contextSize, picked, index);
        try {
          const computed = lossAndGrads(m, inputs, targets, offsets);
          grads = computed.grads;
          stepLoss = computed.loss.dataSync()[0];
          computed.loss.dispose();
        } finally {
          tf.dispose([inputs, targets]);
        }
      }
      let gradNorm: number;
      try {
        if (!Number.isFinite(stepLoss)) {
          const kept = lastCheckpoint === undefined ? 'No checkpoint had been written yet.' : `The last good checkpoint (step ${lastCheckpoint}) in ${checkpointPath} was kept; resume it with a lower --lr.`;
          throw new Error(`training loss became ${stepLoss} at step ${t} (lr ${lr.toExponential(2)}). ${kept}`);
        }
        gradNorm = opt.step(m.params, grads, { lr, beta1: config.beta1, beta2: config.beta2, eps: config.eps, weightDecay: config.weightDecay, gradClip: config.gradClip }, t);
      } finally {
        tf.dispose([...grads.values()]);
      }
      step = t;
      lossSum += stepLoss;
      lossCount++;
      if (step % config.logEvery === 0 || step === steps) {
        const rate = ((step - sessionStartStep) * stepTokens) / Math.max(sessionSeconds(), 1e-9);
        emit({
          type: 'progress',
          step,
          totalSteps: steps,
          tokens: step * stepTokens,
          totalTokens: steps * stepTokens,
          tokensPerSecond: rate,
          etaSeconds: ((steps - step) * stepTokens) / Math.max(rate, 1e-9),
          loss: lossSum / lossCount,
          lr,
          gradNorm,
        });
        reportedLoss = lossSum / lossCount;
        train.push({ step, tokens: step * stepTokens, loss: reportedLoss });
        lossSum = 0;
        lossCount = 0;
      }
      if (config.evalEvery > 0 && step % config.evalEvery === 0 && step < steps) evaluate();
      const fraction = snapshotSteps.get(step);
      if (fraction !== undefined) {
        const dir = path.join(config.out, 'snapshots', `step-${step}`);
        mkdirSync(path.dirname(dir), { recursive: true });
        writeGpt2Folder(dir, modelConfig, m.fullTensors(), { tokenizerFrom: config.from, tokenizer: config.tokenizer });
        emit({ type: 'snapshot', step, tokens: step * stepTokens, dir });
        log(`kept a snapshot at ${(100 * fraction).toFixed(0)}% of the tokens (step ${step}) in ${dir}`);
      }
      if (config.checkpointEvery > 0 && step % config.checkpointEvery === 0 && step < steps) saveCheckpoint();
    }
    const finalLoss = heldOut.at(-1)?.step === step ? heldOut.at(-1)!.loss : evaluate();
    saveCheckpoint();
    writeGpt2Files(config.out, modelConfig, m.fullTensors(), { tokenizerFrom: config.from, tokenizer: config.tokenizer });
    const result: LmRunResult = {
      out: path.resolve(config.out),
      steps,
      tokens: steps * stepTokens,
      trainLoss: reportedLoss,
      heldOutLoss: finalLoss,
      unigramLoss,
      tokensPerS: (steps * stepTokens) / Math.max(elapsedBefore + sessionSeconds(), 1e-9),
      parameters,
    };
    writeJsonAtomic(path.join(config.out, LM_TRAINING_FILE), { config, result, heldOut, train, vocabRows: vocab.ids.length, absentTokens: vocab.absent });
    const done: LmTrainEvent = { type: 'done', status: 'finished', step, result };
    emit(done);
    return { status: 'finished', step, result };
  } finally {
    await parallel?.dispose();
    await model?.onnxLoss?.dispose();
    offsets.dispose();
    optimizer?.dispose();
    model?.dispose();
  }
}
