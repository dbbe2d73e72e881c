// The data side of a training run: the corpus read into windows (only as many as training and evals
// need), the held-out split, and where activations come from (GPT-2, or an activation cache).
import type { HookName } from '../../src-shared/hooks.js';
import { openCorpus } from '../data/corpora/index.js';
import { buildWindows, splitWindows, type WindowSet, type WindowSplit, type WindowTokenizer } from '../data/windows.js';
import type { ActivationSource, GroupRunner, HookedModel } from '../data/activations.js';
import { modelActivationSource } from '../data/onnx-activations.js';
import { openActivationCache, type CachedActivationSource } from '../data/activation-cache.js';
import { totalSteps, type TrainRunConfig } from './config.js';

export interface RunData {
  windows: WindowSet;
  split: WindowSplit;
  source: ActivationSource;
  /** Open when the run reads an activation cache; close it at the end. */
  cache?: CachedActivationSource;
}

type Log = (message: string, level?: 'info' | 'warn') => void;

export async function prepareRunData(
  config: TrainRunConfig,
  model: HookedModel,
  tokenizer: WindowTokenizer,
  hook: HookName,
  dIn: number,
  log: Log,
  signal?: AbortSignal,
  /** Worker threads the forward passes run on; this thread when absent. */
  pool?: GroupRunner,
): Promise<RunData> {
  const steps = totalSteps(config);
  const perWindow = config.context - 1;
  // Each buffer fill may leave part of one window unused, hence the extra window per fill.
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

  const modelSource = modelActivationSource(model, windows, hook, config.modelBatch, pool);
  if (!config.cacheActivations) return { windows, split, source: modelSource };
  log(`activation cache ${config.cacheActivations}: checking ${windows.count} windows`);
  const cache = await openActivationCache(
    config.cacheActivations,
    { model: config.model, hook, contextSize: config.context, dIn, dtype: config.cacheDtype },
    windows,
    windows.count,
    modelSource,
    { signal, onShard: (done, total) => (done === total || done % 16 === 0 ? log(`activation cache: ${done}/${total} shards ready`) : undefined) },
  );
  return { windows, split, source: cache, cache };
}
