// Trains a family of SAEs (several dictionary sizes on one hook) from a corpus: windows → GPT-2 up
// to the hook (once per batch, shared by every size) → shuffling buffer → every SAE steps on the
// same batch. Checkpoints are periodic and atomic; `resume` continues exactly (SAE and Adam state,
// data position, RNG states); cancelling saves a checkpoint first; a non-finite loss stops the run
// and keeps the last good checkpoint. At the end each size is saved as a SAELens folder
// `out/<d_sae>/` with eval.json, and the family as `out/family.json`.
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tf } from '../engine/backend.js';
import { writeJsonAtomic } from '../io/atomic.js';
import type { ProgressCallback } from '../hub/download.js';
import { resolveModelDir } from '../hub/resolve.js';
import { loadGpt2 } from '../model/load.js';
import type { Gpt2 } from '../model/gpt2.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { applyNormalization, disposeNormalized, fitNormalization, type NormalizationFit } from '../sae/normalize.js';
import type { SaeExportMeta } from '../sae/api.js';
import { saveSaeLens } from '../sae/formats/saelens.js';
import { parseHookName } from '../../src-shared/hooks.js';
import { openCorpus } from '../data/corpora/index.js';
import { buildWindows, splitWindows, type WindowTokenizer } from '../data/windows.js';
import { ActivationStream, ModelActivationSource, hookWidth, type ActivationSource, type StreamState } from '../data/activations.js';
import { openActivationCache, type CachedActivationSource } from '../data/activation-cache.js';
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { RESUMABLE_CHANGES, resolveSizes, totalSteps, validateTrainRunConfig, type TrainRunConfig } from './config.js';
import { evaluateSaes, writeEvalJson, type EvalResult } from './eval.js';
import { NMSE_DEFINITION, type SaeRunResult, type TrainEventHandler } from './events.js';
import { SaeFamily, type CreateSae } from './family.js';

export interface TrainContext {
  onEvent?: TrainEventHandler;
  /** Aborting saves a checkpoint after the current step and returns with status 'cancelled'. */
  signal?: AbortSignal;
  /** A model already loaded (the app keeps one; tests count its calls); else loaded from config.model. */
  model?: Gpt2;
  tokenizer?: WindowTokenizer;
  /** SAE factory; the SAE core's createSae by default. */
  createSae?: CreateSae;
  /** Download progress when config.model is a Hub name not yet cached. */
  onModelDownload?: ProgressCallback;
}

export interface FamilyRunResult {
  status: 'finished' | 'cancelled';
  /** Steps completed. */
  step: number;
  /** One per size, ascending d_sae; empty when cancelled. */
  results: SaeRunResult[];
}

/** What a checkpoint stores besides the SAE states. */
interface RunCheckpoint {
  config: TrainRunConfig;
  sizes: number[];
  step: number;
  stream: StreamState;
  normalization: NormalizationFit;
  /** Seconds spent training (all sessions), for tokens/s. */
  elapsedSeconds: number;
}

export const FAMILY_FILE = 'family.json';

function checkResumable(saved: TrainRunConfig, now: TrainRunConfig, file: string): void {
  for (const key of Object.keys({ ...saved, ...now }) as Array<keyof TrainRunConfig>) {
    if (RESUMABLE_CHANGES.includes(key)) continue;
    if (JSON.stringify(saved[key]) !== JSON.stringify(now[key])) {
      throw new Error(`--resume: ${file} was trained with ${key} = ${JSON.stringify(saved[key])}, but this run has ${JSON.stringify(now[key])}; use the same value or another --out`);
    }
  }
}

/** Windows per evaluation pass: keeps the [windows · context, vocab] logits near 64 MB. */
function evalBatchWindows(contextSize: number, vocabSize: number): number {
  return Math.max(1, Math.floor(16_000_000 / (contextSize * vocabSize)));
}

function modelLabel(spec: string): string {
  return existsSync(spec) ? basename(spec.replace(/[/\\]+$/, '')) : spec;
}

export async function trainFamily(input: unknown, context: TrainContext = {}): Promise<FamilyRunResult> {
  const config = validateTrainRunConfig(input);
  const emit: TrainEventHandler = context.onEvent ?? (() => {});
  const log = (message: string, level: 'info' | 'warn' = 'info') => emit({ type: 'log', level, message });
  const { signal } = context;
  mkdirSync(config.out, { recursive: true });
  const checkpointPath = join(config.out, CHECKPOINT_FILE);
  const resumed = config.resume ? readCheckpoint<RunCheckpoint>(checkpointPath) : undefined;
  if (resumed) checkResumable(resumed.run.config, config, checkpointPath);
  else if (existsSync(checkpointPath)) throw new Error(`${checkpointPath} exists from an earlier run: pass --resume to continue it, or choose another --out`);

  const ownModel = !context.model;
  const modelDir = context.model ? undefined : await resolveModelDir(config.model, { download: true, signal, onProgress: context.onModelDownload });
  const model = context.model ?? (await loadGpt2(modelDir!));
  let family: SaeFamily | undefined;
  let cache: CachedActivationSource | undefined;
  try {
    const tokenizer = context.tokenizer ?? (await loadTokenizer(modelDir));
    const site = parseHookName(config.hook, model.config.nLayer);
    if (config.context > model.config.nPositions) {
      throw new Error(`train config: context ${config.context} exceeds the model's ${model.config.nPositions} positions`);
    }
    const dIn = hookWidth(site.name, model.config);
    const sizes = resumed ? resumed.run.sizes : resolveSizes(config, dIn);
    const steps = totalSteps(config);
    const perWindow = config.context - 1;

    // Tokenize only as much of the corpus as training and evals need.
    const trainWindows = Math.ceil((steps * config.batch) / perWindow) + Math.ceil(steps / config.bufferBatches);
    const evalWindows = Math.ceil(config.evalTokens / perWindow);
    const every = config.holdoutEvery;
    const maxWindows = Math.max(Math.ceil((trainWindows * every) / (every - 1)), evalWindows * every) + every;
    log(`reading ${config.dataset} into windows of ${config.context} tokens (BOS + ${perWindow})`);
    const windows = await buildWindows(openCorpus(config.dataset, { textField: config.textField }), tokenizer, { contextSize: config.context, maxWindows, signal });
    const split = splitWindows(windows.count, every);
    if (split.train.length === 0) throw new Error(`corpus ${config.dataset} gives ${windows.count} windows of ${config.context} tokens: too short to train on`);
    const available = split.train.length * perWindow;
    if (available < steps * config.batch) {
      log(`corpus ${config.dataset} has ${available} training tokens; the run needs ${steps * config.batch}, so it repeats the data (${((steps * config.batch) / available).toFixed(1)} epochs)`, 'warn');
    }

    const modelSource = new ModelActivationSource(model, windows, site.name, config.modelBatch);
    let source: ActivationSource = modelSource;
    if (config.cacheActivations) {
      log(`activation cache ${config.cacheActivations}: checking ${windows.count} windows`);
      cache = await openActivationCache(
        config.cacheActivations,
        { model: config.model, hook: site.name, contextSize: config.context, dIn, dtype: config.cacheDtype },
        windows,
        windows.count,
        modelSource,
        { signal, onShard: (done, total) => (done === total || done % 16 === 0 ? log(`activation cache: ${done}/${total} shards ready`) : undefined) },
      );
      source = cache;
    }

    let normalization: NormalizationFit;
    if (resumed) {
      normalization = resumed.run.normalization;
      family = await SaeFamily.restore(config, resumed.states, context.createSae);
      log(`resumed ${checkpointPath} at step ${resumed.run.step} of ${steps}`);
    } else {
      const sampleWindows = split.train.subarray(0, Math.min(split.train.length, Math.ceil(config.initTokens / perWindow)));
      const sampleValues = await source.activations(sampleWindows);
      const sample = tf.tensor2d(sampleValues, [sampleValues.length / dIn, dIn]); // [samples, d]
      try {
        normalization = fitNormalization(config.normalize, sample);
        const normalized = applyNormalization(normalization, sample);
        try {
          family = await SaeFamily.create(config, dIn, sizes, normalized.x, context.createSae);
        } finally {
          disposeNormalized(normalized);
        }
      } finally {
        sample.dispose();
      }
    }
    log(`training ${config.arch} SAEs of ${sizes.join(', ')} latents on ${site.name}: ${steps} steps of ${config.batch} tokens; ${NMSE_DEFINITION}`);

    const stream = new ActivationStream(source, split.train, config.context, {
      batchTokens: config.batch,
      bufferBatches: config.bufferBatches,
      totalBatches: steps,
      seed: config.seed,
    });
    if (resumed) await stream.restore(resumed.run.stream);

    let step = resumed?.run.step ?? 0;
    let lastCheckpoint: number | undefined = resumed ? step : undefined;
    const elapsedBefore = resumed?.run.elapsedSeconds ?? 0;
    const sessionStart = performance.now();
    const sessionStartStep = step;
    const sessionSeconds = () => (performance.now() - sessionStart) / 1000;
    const fam = family;
    const saveCheckpoint = async (): Promise<void> => {
      const run: RunCheckpoint = { config, sizes, step, stream: stream.state(), normalization, elapsedSeconds: elapsedBefore + sessionSeconds() };
      writeCheckpoint(checkpointPath, run, await fam.states());
      lastCheckpoint = step;
      emit({ type: 'checkpoint', step, path: checkpointPath });
    };
    const checkpointNote = () =>
      lastCheckpoint === undefined ? 'No checkpoint had been written yet.' : `The last good checkpoint (step ${lastCheckpoint}) in ${checkpointPath} was kept; resume it with a lower --lr.`;

    while (step < steps) {
      if (signal?.aborted) {
        await saveCheckpoint();
        log(`cancelled at step ${step}; checkpoint saved, continue with --resume`, 'warn');
        emit({ type: 'done', status: 'cancelled', step, results: [] });
        return { status: 'cancelled', step, results: [] };
      }
      const values = await stream.next();
      const x = tf.tensor2d(values, [config.batch, dIn]); // [batch, d]
      const normalized = applyNormalization(normalization, x);
      try {
        await fam.step(normalized.x, step + 1, checkpointNote());
      } finally {
        x.dispose();
        disposeNormalized(normalized);
      }
      step++;
      if (step % config.logEvery === 0 || step === steps) {
        const seconds = sessionSeconds();
        const rate = ((step - sessionStartStep) * config.batch) / Math.max(seconds, 1e-9);
        emit({
          type: 'progress',
          step,
          totalSteps: steps,
          tokens: step * config.batch,
          totalTokens: steps * config.batch,
          tokensPerSecond: rate,
          etaSeconds: ((steps - step) * config.batch) / Math.max(rate, 1e-9),
          perSae: fam.takeProgress(),
        });
      }
      if (config.checkpointEvery > 0 && step % config.checkpointEvery === 0 && step < steps) await saveCheckpoint();
    }
    await saveCheckpoint();
    const trainSeconds = elapsedBefore + sessionSeconds();
    const tokensPerS = (steps * config.batch) / Math.max(trainSeconds, 1e-9);

    const meta: SaeExportMeta = {
      modelName: modelLabel(config.model),
      hookName: site.name,
      contextSize: config.context,
      prependBos: true,
      datasetPath: config.dataset,
      ...(normalization.scalingFactor !== undefined ? { normScalingFactor: normalization.scalingFactor } : {}),
    };
    const bundles = await fam.bundles(meta);
    const states = await fam.states();
    const dirs = sizes.map((n) => join(config.out, String(n)));
    bundles.forEach((bundle, i) => saveSaeLens(dirs[i], bundle));
    log(`saved ${dirs.join(', ')}`);

    let evals: EvalResult[] | undefined;
    if (config.evalTokens > 0 && split.validation.length > 0) {
      log(`evaluating on ${config.evalTokens} held-out tokens`);
      evals = await evaluateSaes({
        model,
        saes: bundles,
        windows,
        indices: split.validation,
        tokens: config.evalTokens,
        batch: evalBatchWindows(config.context, model.config.vocabSize),
        signal,
      });
      evals.forEach((e, i) => writeEvalJson(dirs[i], e));
    } else {
      log('no evals: evalTokens is 0 or the corpus left no held-out windows', 'warn');
    }

    const results: SaeRunResult[] = sizes.map((dSae, i) => {
      const state = states[i];
      let dead = 0;
      for (const t of state.tokensSinceFired) if (t >= state.config.deadTokensWindow) dead++;
      const last = fam.last[i];
      return {
        dSae,
        k: config.arch === 'relu' ? null : config.k,
        nmse: evals ? evals[i].nmse : (last?.metrics.nmse ?? NaN),
        l0: evals ? evals[i].l0 : (last?.metrics.l0 ?? NaN),
        deadFrac: dead / dSae,
        deltaLmLoss: evals ? evals[i].deltaLmLoss : null,
        tokens: steps * config.batch,
        tokensPerS,
        dir: dirs[i],
      };
    });
    writeJsonAtomic(join(config.out, FAMILY_FILE), {
      version: 1,
      model: meta.modelName,
      hook: site.name,
      dataset: config.dataset,
      architecture: config.arch,
      sizes,
      k: config.arch === 'relu' ? null : config.k,
      tokens: steps * config.batch,
      context: config.context,
      saes: sizes.map((n, i) => ({ d_sae: n, path: String(n), eval: evals ? { nmse: evals[i].nmse, l0: evals[i].l0, delta_lm_loss: evals[i].deltaLmLoss } : null })),
      nmse_definition: NMSE_DEFINITION,
      config,
      created: new Date().toISOString(),
    });
    emit({ type: 'done', status: 'finished', step, results });
    return { status: 'finished', step, results };
  } finally {
    await family?.dispose();
    cache?.close();
    if (ownModel) model.dispose();
  }
}
