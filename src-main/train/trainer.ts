// Trains a family of SAEs (several dictionary sizes on one hook) from a corpus: windows → GPT-2 up
// to the hook (once per batch, shared by every size) → shuffling buffer → every SAE steps on the
// same batch. Checkpoints are periodic and atomic; `resume` continues exactly (SAE and Adam state,
// data position, RNG states); cancelling saves a checkpoint first; a non-finite loss stops the run
// and keeps the last good checkpoint. The step loop itself is steps.ts (the recovery benchmark
// drives it with synthetic batches); the end (SAELens folders, evals, family.json) is finish.ts.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { engineInfo } from '../engine/backend.js';
import type { ProgressCallback } from '../hub/download.js';
import { resolveModelDir } from '../hub/resolve.js';
import { loadGpt2 } from '../model/load.js';
import { ModelPool, resolveModelThreads } from '../model/pool.js';
import { activationsOnOnnx } from '../data/onnx-activations.js';
import type { Gpt2 } from '../model/gpt2.js';
import { loadTokenizer } from '../tokenizer/load.js';
import type { NormalizationFit } from '../sae/normalize.js';
import { parseHookName } from '../../src-shared/hooks.js';
import type { WindowTokenizer } from '../data/windows.js';
import { ActivationStream, hookWidth, type ActivationSource, type StreamState } from '../data/activations.js';
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { RESUMABLE_CHANGES, resolveSizes, totalSteps, validateTrainRunConfig, type TrainRunConfig } from './config.js';
import { TRAIN_FVU_DEFINITION, type SaeRunResult, type TrainEventHandler } from './events.js';
import { SaeFamily, type CreateSae } from './family.js';
import type { CurveState } from './history.js';
import { finishFamily } from './finish.js';
import { checkRunMemory, machineBudget, type MemoryBudget } from './memory.js';
import { prepareRunData, type RunData } from './run-data.js';
import { runSteps, startFamily } from './steps.js';

export { FAMILY_FILE } from './finish.js';

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
  /** What the run may use; this machine's memory for the running backend (memory.ts) by default. */
  memoryBudget?: MemoryBudget;
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
  /** Each size's training curve so far; absent in checkpoints written before curves were kept. */
  curves?: CurveState[];
}

function checkResumable(saved: TrainRunConfig, now: TrainRunConfig, file: string): void {
  for (const key of Object.keys({ ...saved, ...now }) as Array<keyof TrainRunConfig>) {
    if (RESUMABLE_CHANGES.includes(key)) continue;
    if (JSON.stringify(saved[key]) !== JSON.stringify(now[key])) {
      throw new Error(`--resume: ${file} was trained with ${key} = ${JSON.stringify(saved[key])}, but this run has ${JSON.stringify(now[key])}; use the same value or another --out`);
    }
  }
}

/** Fresh SAEs, fitted and initialised on the first training windows' activations. */
async function freshFamily(config: TrainRunConfig, data: RunData, sizes: number[], dIn: number, make?: CreateSae): Promise<{ family: SaeFamily; normalization: NormalizationFit }> {
  const windows = data.split.train.subarray(0, Math.min(data.split.train.length, Math.ceil(config.initTokens / (config.context - 1))));
  return startFamily(config, dIn, sizes, await data.source.activations(windows), make);
}

export async function trainFamily(input: unknown, context: TrainContext = {}): Promise<FamilyRunResult> {
  const config = validateTrainRunConfig(input);
  const emit: TrainEventHandler = context.onEvent ?? (() => {});
  const log = (message: string, level: 'info' | 'warn' = 'info') => emit({ type: 'log', level, message });
  const { signal } = context;
  mkdirSync(config.out, { recursive: true });
  const checkpointPath = join(config.out, CHECKPOINT_FILE);
  // A kill during a checkpoint write leaves its temporary sibling behind (never the checkpoint itself).
  for (const name of readdirSync(config.out)) if (name.startsWith(`.${CHECKPOINT_FILE}.`) && name.endsWith('.tmp')) rmSync(join(config.out, name), { force: true });
  const resumed = config.resume ? readCheckpoint<RunCheckpoint>(checkpointPath) : undefined;
  if (resumed) checkResumable(resumed.run.config, config, checkpointPath);
  else if (existsSync(checkpointPath)) throw new Error(`${checkpointPath} exists from an earlier run: pass --resume to continue it, or choose another --out`);

  const modelDir = context.model ? undefined : await resolveModelDir(config.model, { download: true, signal, onProgress: context.onModelDownload });
  const model = context.model ?? (await loadGpt2(modelDir!));
  let family: SaeFamily | undefined;
  let data: RunData | undefined;
  let pool: ModelPool | undefined;
  try {
    const tokenizer = context.tokenizer ?? (await loadTokenizer(modelDir));
    const site = parseHookName(config.hook, model.config.nLayer);
    if (config.context > model.config.nPositions) throw new Error(`train config: context ${config.context} exceeds the model's ${model.config.nPositions} positions`);
    const dIn = hookWidth(site.name, model.config);
    const sizes = resumed ? resumed.run.sizes : resolveSizes(config, dIn);
    checkRunMemory(config, model.config, dIn, sizes, context.memoryBudget ?? machineBudget(engineInfo().backend));
    const steps = totalSteps(config);
    const { threads, warning } = resolveModelThreads(config.modelThreads, 'train');
    if (warning) log(warning, 'warn');
    // Where ONNX Runtime computes the activations, the pool serves only the final evals: it starts
    // then, rather than holding a copy of the weights per worker through the whole run.
    const evalPoolOnly = threads > 1 && activationsOnOnnx(model);
    if (threads > 1 && !evalPoolOnly) {
      pool = await ModelPool.start(model, threads);
      log(`GPT-2 runs on ${threads} worker threads (model threads), the next activations computed while the SAEs train`);
    }
    data = await prepareRunData(config, model, tokenizer, site.name, dIn, log, signal, pool);
    const source: ActivationSource = data.source;

    let normalization: NormalizationFit;
    if (resumed) {
      normalization = resumed.run.normalization;
      family = await SaeFamily.restore(config, resumed.states, context.createSae, resumed.run.curves);
      log(`resumed ${checkpointPath} at step ${resumed.run.step} of ${steps}`);
    } else {
      ({ family, normalization } = await freshFamily(config, data, sizes, dIn, context.createSae));
    }
    const fam = family;
    log(`training ${config.arch} SAEs of ${sizes.join(', ')} latents on ${site.name}: ${steps} steps of ${config.batch} tokens; ${TRAIN_FVU_DEFINITION}`);

    const stream = new ActivationStream(source, data.split.train, config.context, {
      batchTokens: config.batch,
      bufferBatches: config.bufferBatches,
      totalBatches: steps,
      seed: config.seed,
    });
    if (resumed) await stream.restore(resumed.run.stream);

    const from = resumed?.run.step ?? 0;
    let lastCheckpoint: number | undefined = resumed ? from : undefined;
    const elapsedBefore = resumed?.run.elapsedSeconds ?? 0;
    const sessionStart = performance.now();
    const sessionSeconds = () => (performance.now() - sessionStart) / 1000;
    const checkpointNote = () =>
      lastCheckpoint === undefined ? 'No checkpoint had been written yet.' : `The last good checkpoint (step ${lastCheckpoint}) in ${checkpointPath} was kept; resume it with a lower --lr.`;
    const saveCheckpoint = async (step: number): Promise<void> => {
      // A diverged step read here throws before its weights can overwrite the last good checkpoint.
      await fam.settle(checkpointNote());
      const run: RunCheckpoint = { config, sizes, step, stream: stream.state(), normalization, elapsedSeconds: elapsedBefore + sessionSeconds(), curves: fam.curveStates() };
      writeCheckpoint(checkpointPath, run, await fam.states());
      lastCheckpoint = step;
      emit({ type: 'checkpoint', step, path: checkpointPath });
    };

    const { step, aborted } = await runSteps({
      family: fam,
      batches: stream,
      normalization,
      dIn,
      batch: config.batch,
      from,
      steps,
      logEvery: config.logEvery,
      emit,
      signal,
      checkpoints: { every: config.checkpointEvery, save: saveCheckpoint, note: checkpointNote },
    });
    if (aborted) {
      await saveCheckpoint(step);
      log(`cancelled at step ${step}; checkpoint saved, continue with --resume`, 'warn');
      emit({ type: 'done', status: 'cancelled', step, results: [] });
      return { status: 'cancelled', step, results: [] };
    }
    await saveCheckpoint(step);
    const tokensPerS = (steps * config.batch) / Math.max(elapsedBefore + sessionSeconds(), 1e-9);
    if (evalPoolOnly) {
      pool = await ModelPool.start(model, threads);
      log(`GPT-2's evals run on ${threads} worker threads (model threads); its activations ran on ONNX Runtime`);
    }
    const results = await finishFamily({ config, model, pool, family: fam, hook: site.name, normalization, windows: data.windows, validation: data.split.validation, tokensPerS, log, signal });
    emit({ type: 'done', status: 'finished', step, results });
    return { status: 'finished', step, results };
  } finally {
    await family?.dispose();
    await pool?.dispose();
    data?.cache?.close();
    if (!context.model) model.dispose();
  }
}
