// A whole harvest into the feature database: register the model, data and SAEs, skip SAEs already
// harvested with the same settings, run the passes once per hook site for the rest, then write
// statistics and contexts, logit effects and neighbours. The SAE's harvest row says 'running' until
// its last write, so a killed harvest is redone (replaced) by the next run and never half-read.
import { validateBundle } from '../sae/formats/validate.js';
import { createSaeRunner, hasTopKCode } from '../sae/inference.js';
import type { SaeBundle } from '../sae/types.js';
import type { GroupRunner, HookedModel } from '../data/activations.js';
import { modelActivationSource } from '../data/onnx-activations.js';
import { gpt2OnnxRuntime } from '../engine/onnx.js';
import type { WindowSet } from '../data/windows.js';
import type { HookName } from '../../src-shared/hooks.js';
import type { Db } from '../store/open.js';
import {
  beginHarvest,
  finishHarvest,
  harvestMatches,
  registerDataset,
  registerFamily,
  registerModel,
  registerSae,
  writeLatents,
  writeLogitEffects,
  writeNeighbours,
  writeProfiles,
} from '../store/writes.js';
import { liveLatents } from './activation-profile.js';
import type { SetKind } from './comparable-set.js';
import type { HarvestConfig } from './harvest-config.js';
import { harvestWindows, type HarvestProgress, type LatentHarvest } from './harvest.js';
import { latentRecords } from './latent-records.js';
import { checkHarvestMemory } from './harvest-memory.js';
import { DEFAULT_LOGIT_OPTIONS, localLogitRunner, logitEffects, type LogitRunner } from './logit-effects.js';
import { decoderNeighbours, neighbourBlockRows } from './neighbours.js';
import { PhaseClock } from './phase-clock.js';
import { machineBudget, type MemoryBudget } from '../train/memory.js';
import { availableParallelism } from 'node:os';
import { engineInfo } from '../engine/backend.js';
import type { Gpt2Config } from '../model/config.js';
import type { Unembedding } from './unembedding.js';

export interface HarvestSaeInput {
  /** Absolute SAELens folder path (the SAE's identity in the database). */
  path: string;
  bundle: SaeBundle;
  family?: { path: string; name: string; kind?: SetKind };
}

export interface HarvestJob {
  db: Db;
  modelName: string;
  model: HookedModel & { config: Gpt2Config };
  /** ln_f gain and wte; without it (or for SAEs narrower/wider than d_model) logit effects are skipped. */
  unembedding?: Unembedding;
  tokenText: (id: number) => string;
  /** Corpus spec as given by the user, recorded with the harvest. */
  dataset: string;
  windows: WindowSet;
  saes: HarvestSaeInput[];
  config: HarvestConfig;
  /** Worker threads the forward passes run on (model/pool.ts); this thread when absent. */
  pool?: GroupRunner;
  onProgress?: (event: HarvestEvent) => void;
  signal?: AbortSignal;
  /** What the harvest may use; default this machine's (train/memory.ts's machineBudget for the engine's backend). */
  memoryBudget?: MemoryBudget;
  /** Times each part (the bench's breakdown). */
  clock?: PhaseClock;
  /** Worker threads computing logit effects where ONNX Runtime does not (it uses every core itself); default one per core on wasm (one instance uses one core) when more than one block is to be computed, else none. */
  logitWorkers?: number;
}

export type HarvestEvent = HarvestProgress | { stage: 'writing' | 'logits' | 'neighbours'; saeId: number; done: number; total: number };

export interface HarvestSummary {
  saeId: number;
  path: string;
  dSae: number;
  /** Already harvested with identical settings; nothing was recomputed. */
  skipped: boolean;
  deadFraction: number;
}

export async function runHarvest(job: HarvestJob): Promise<HarvestSummary[]> {
  const { db, config } = job;
  // Refuse an SAE that does not fit the model before anything of it is replaced in the database.
  for (const s of job.saes) {
    try {
      validateBundle(s.bundle, job.model.config);
    } catch (err) {
      throw new Error(`${s.path}: ${(err as Error).message}`);
    }
  }
  checkSiteMemory(job);
  const tokens = job.windows.count * (job.windows.contextSize - 1);
  const modelId = registerModel(db, { name: job.modelName, nLayer: job.model.config.nLayer, dModel: job.model.config.nEmbd, vocabSize: job.model.config.vocabSize });
  const datasetId = registerDataset(db, job.dataset);
  const harvest = {
    datasetId,
    tokens,
    topN: config.topN,
    params: {
      contextSize: job.windows.contextSize,
      context: config.context,
      intervals: config.quantiles.intervals,
      perInterval: config.quantiles.perInterval,
      seed: config.quantiles.seed,
      // How contexts are picked; harvests stored before one record per window lack it, so they are redone.
      contexts: 'window-peak',
      // The activation profiles for the map's activation basis; harvests stored before them lack it, so they are redone.
      profile: config.profile,
    },
  };
  const entries = job.saes.map((s) => {
    const spec = s.bundle.spec;
    const familyId = s.family ? registerFamily(db, { path: s.family.path, name: s.family.name, modelId, hookName: spec.hookName, kind: s.family.kind }) : undefined;
    const saeId = registerSae(db, { path: s.path, modelId, familyId, hookName: spec.hookName, architecture: spec.architecture, dIn: spec.dIn, dSae: spec.dSae, k: spec.k });
    return { ...s, saeId, pending: !harvestMatches(db, saeId, harvest) };
  });
  const pending = entries.filter((e) => e.pending);
  for (const e of pending) beginHarvest(db, e.saeId, harvest);

  const dead = new Map<number, number>();
  const clock = job.clock ?? new PhaseClock();
  let logits: LogitRunner | undefined;
  try {
    for (const hook of new Set(pending.map((e) => e.bundle.spec.hookName))) {
      const site = pending.filter((e) => e.bundle.spec.hookName === hook);
      const runners = site.map((e) => createSaeRunner(e.bundle));
      let results: LatentHarvest[];
      try {
        const source = modelActivationSource(job.model, job.windows, hook as HookName, config.batchWindows, job.pool);
        results = await harvestWindows(source, job.windows, runners, config, { onProgress: job.onProgress, signal: job.signal, spillBeside: db.name, clock });
      } finally {
        for (const r of runners) r.dispose();
      }
      for (const { saeId, bundle } of site) {
        // shift() so each SAE's heaps can be freed before the next one's logit effects.
        const result = results.shift()!;
        const dSae = bundle.spec.dSae;
        for (let from = 0; from < dSae; from += config.writeChunk) {
          job.signal?.throwIfAborted();
          const to = Math.min(dSae, from + config.writeChunk);
          const records = clock.time('context records', () => latentRecords(result, from, to, job.tokenText));
          clock.time('write contexts', () => writeLatents(db, saeId, records));
          job.onProgress?.({ stage: 'writing', saeId, done: to, total: dSae });
        }
        const { dims } = result.profiles;
        clock.time('write profiles', () => writeProfiles(db, saeId, result.profiles.centred(), dims, liveLatents(result.profiles.sums, dSae, dims)));
        dead.set(saeId, result.stats.fires.filter((f) => f === 0).length / dSae);
        if (job.unembedding && hasLogitEffects(bundle, job.unembedding)) {
          logits ??= await clock.timeAsync('start logit effects', () => logitRunner(job.unembedding!, logitWorkers(job)));
          await writeLogits(job, saeId, bundle, clock, logits);
        }
      }
    }
  } finally {
    await logits?.dispose();
  }
  if (pending.length > 0) await writeAllNeighbours(job, entries, clock);
  for (const e of pending) finishHarvest(db, e.saeId);

  return entries.map((e) => ({
    saeId: e.saeId,
    path: e.path,
    dSae: e.bundle.spec.dSae,
    skipped: !e.pending,
    deadFraction: dead.get(e.saeId) ?? storedDeadFraction(db, e.saeId, e.bundle.spec.dSae),
  }));
}

/** Logit effects are read through the residual stream: an SAE of another width, or on the MLP's hidden units, has none. */
function hasLogitEffects(bundle: SaeBundle, u: Unembedding): boolean {
  return bundle.spec.dIn === u.dModel && !bundle.spec.hookName.endsWith('mlp.hook_post');
}

/** Worker threads for the logit effects: as asked, else one per core on wasm when there are blocks enough to share. */
function logitWorkers(job: HarvestJob): number {
  if (job.logitWorkers !== undefined) return job.logitWorkers;
  const u = job.unembedding;
  if (!u || engineInfo().backend !== 'wasm' || gpt2OnnxRuntime()) return 0;
  const blocks = job.saes.filter((s) => hasLogitEffects(s.bundle, u)).reduce((n, s) => n + Math.ceil(s.bundle.spec.dSae / DEFAULT_LOGIT_OPTIONS.block), 0);
  const workers = Math.min(availableParallelism(), blocks);
  return workers > 1 ? workers : 0;
}

/**
 * Where the logit effects run: on ONNX Runtime wherever GPT-2's forward does (its MatMul on every core
 * is several times tfjs-wasm's), else on worker threads when asked for more than one, else on this
 * thread's engine.
 */
async function logitRunner(u: Unembedding, workers: number): Promise<LogitRunner> {
  const ort = gpt2OnnxRuntime();
  if (ort) {
    const { onnxLogitRunner } = await import('./logit-onnx.js');
    return onnxLogitRunner(ort, u, DEFAULT_LOGIT_OPTIONS);
  }
  if (workers < 1) return localLogitRunner(u, DEFAULT_LOGIT_OPTIONS);
  const { startLogitPool } = await import('./logit-pool.js');
  return startLogitPool(u, DEFAULT_LOGIT_OPTIONS, workers);
}

async function writeLogits(job: HarvestJob, saeId: number, bundle: SaeBundle, clock: PhaseClock, runner: LogitRunner): Promise<void> {
  const blocks = logitEffects(bundle.weights.W_dec, bundle.spec.dSae, job.unembedding!, job.tokenText, DEFAULT_LOGIT_OPTIONS, runner);
  for (;;) {
    const next = await clock.timeAsync('logit effects', () => blocks.next());
    if (next.done) break;
    const records = next.value;
    job.signal?.throwIfAborted();
    clock.time('write logit effects', () => writeLogitEffects(job.db, saeId, records));
    job.onProgress?.({ stage: 'logits', saeId, done: records[records.length - 1].latent + 1, total: bundle.spec.dSae });
  }
}

/** Within-SAE neighbours of the pending SAEs, and cross-size links between every pair with a pending one. */
async function writeAllNeighbours(job: HarvestJob, entries: Array<HarvestSaeInput & { saeId: number; pending: boolean }>, clock: PhaseClock): Promise<void> {
  const { config } = job;
  for (const a of entries) {
    for (const b of entries) {
      const same = a === b;
      if (!(a.pending || b.pending) || (same && config.neighbours === 0) || (!same && config.relatives === 0)) continue;
      if (!same && (!a.family || a.family.path !== b.family?.path || a.bundle.spec.dIn !== b.bundle.spec.dIn)) continue;
      job.signal?.throwIfAborted();
      const sa = a.bundle.spec;
      const sb = b.bundle.spec;
      const table = await clock.timeAsync(same ? 'neighbours' : 'relatives', () =>
        decoderNeighbours(a.bundle.weights.W_dec, sa.dSae, b.bundle.weights.W_dec, sb.dSae, sa.dIn, {
          k: same ? config.neighbours : config.relatives,
          excludeSelf: same,
        }),
      );
      const records = Array.from({ length: sa.dSae }, (_, latent) => ({
        latent,
        others: table.indices.subarray(latent * table.k, (latent + 1) * table.k),
        cosines: table.cosines.subarray(latent * table.k, (latent + 1) * table.k),
      }));
      clock.time('write neighbours', () => writeNeighbours(job.db, a.saeId, b.saeId, records));
      job.onProgress?.({ stage: 'neighbours', saeId: a.saeId, done: 1, total: 1 });
    }
  }
}

/** Refuses, before the database is touched, a harvest whose largest hook site cannot fit in memory. */
function checkSiteMemory(job: HarvestJob): void {
  const budget = job.memoryBudget ?? machineBudget(engineInfo().backend);
  for (const hook of new Set(job.saes.map((s) => s.bundle.spec.hookName))) {
    const bundles = job.saes.filter((s) => s.bundle.spec.hookName === hook).map((s) => s.bundle);
    const site = bundles.map((b) => b.spec);
    checkHarvestMemory(
      {
        dIn: site[0].dIn,
        sizes: site.map((s) => s.dSae),
        config: job.config,
        contextSize: job.windows.contextSize,
        model: job.model.config,
        logitBlockRows: job.unembedding ? DEFAULT_LOGIT_OPTIONS.block : 0,
        neighbourBlockElements: Math.max(...site.map((s) => neighbourBlockRows(s.dSae) * s.dSae)),
        denseCodes: bundles.some((b) => !hasTopKCode(b)),
        // ONNX Runtime holds W_Uᵀ and its packed copy: counted as two workers' unembeddings.
        logitWorkers: job.unembedding && gpt2OnnxRuntime() ? 2 : logitWorkers(job),
      },
      budget,
    );
  }
}

function storedDeadFraction(db: Db, saeId: number, dSae: number): number {
  const row = db.prepare(`SELECT count(*) AS n FROM latents WHERE sae_id = ? AND density = 0`).get(saeId) as { n: number };
  return row.n / dSae;
}
