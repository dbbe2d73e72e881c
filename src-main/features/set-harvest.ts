// Harvest of a checkpoints set: every member with its own model over the same corpus windows, then
// the final member's latents matched to every earlier member's by activation correlation on those
// windows (counterparts.ts), both directions stored in the feature database. A sizes set needs none
// of this: one model runs for all its sizes (harvest-job.ts).
import type { HookedModel } from '../data/activations.js';
import { modelActivationSource } from '../data/onnx-activations.js';
import type { WindowSet } from '../data/windows.js';
import { createSaeRunner, type SaeRunner } from '../sae/inference.js';
import type { Db } from '../store/open.js';
import { registerDataset, writeCounterparts } from '../store/writes.js';
import type { HookName } from '../../src-shared/hooks.js';
import type { Gpt2Config } from '../model/config.js';
import type { ComparableSet } from './comparable-set.js';
import { matchByCorrelation } from './counterparts.js';
import type { HarvestConfig } from './harvest-config.js';
import { loadHarvestSaes } from './harvest-inputs.js';
import { runHarvest, type HarvestEvent, type HarvestSummary } from './harvest-job.js';
import type { Unembedding } from './unembedding.js';

/** Tokens the matching measures correlations on by default (the first windows of the harvest's). */
export const MATCH_TOKENS = 16_384;

export interface SetMemberModel {
  /** How the database records the model (its folder). */
  name: string;
  model: HookedModel & { config: Gpt2Config };
  unembedding?: Unembedding;
}

export interface SetHarvestJob {
  db: Db;
  set: ComparableSet;
  /** The model of members[i]; loaded by the caller, which keeps ownership. */
  models: SetMemberModel[];
  tokenText: (id: number) => string;
  dataset: string;
  windows: WindowSet;
  config: HarvestConfig;
  /** Tokens to correlate on, at most the harvest's; default MATCH_TOKENS. */
  matchTokens?: number;
  onProgress?: (event: HarvestEvent | { stage: 'matching'; done: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface SetHarvestSummary {
  members: HarvestSummary[];
  /** Tokens the counterparts were measured on. */
  matchTokens: number;
}

export async function harvestCheckpointSet(job: SetHarvestJob): Promise<SetHarvestSummary> {
  const { set, db } = job;
  if (set.kind !== 'checkpoints') throw new Error(`${set.dir}: a ${set.kind} set is harvested with one model in one pass; this is for checkpoints sets`);
  if (job.models.length !== set.members.length) throw new Error(`${set.dir}: ${set.members.length} members but ${job.models.length} models`);
  const saes = loadHarvestSaes(set.members.map((m) => m.path));
  const hooks = new Set(saes.map((s) => s.bundle.spec.hookName));
  if (hooks.size !== 1) throw new Error(`${set.dir}: the members of a checkpoints set must read one hook site, got ${[...hooks].join(', ')}`);
  const members: HarvestSummary[] = [];
  for (const [i, sae] of saes.entries()) {
    const m = job.models[i]!;
    const [summary] = await runHarvest({ ...job, modelName: m.name, model: m.model, unembedding: m.unembedding, saes: [sae] });
    members.push(summary!);
  }

  const perWindow = job.windows.contextSize - 1;
  const count = Math.min(job.windows.count, Math.ceil((job.matchTokens ?? MATCH_TOKENS) / perWindow));
  const windows = Array.from({ length: count }, (_, i) => i);
  const hook = [...hooks][0] as HookName;
  const runners: SaeRunner[] = saes.map((s) => createSaeRunner(s.bundle));
  try {
    const reference = saes.length - 1;
    const pairs = await matchByCorrelation(
      saes.map((_, i) => ({ source: modelActivationSource(job.models[i]!.model, job.windows, hook, job.config.batchWindows), runner: runners[i]! })),
      reference,
      { windows, batchWindows: job.config.batchWindows, onProgress: (done, total) => job.onProgress?.({ stage: 'matching', done, total }), signal: job.signal },
    );
    const run = { datasetId: registerDataset(db, job.dataset), tokens: count * perWindow };
    for (const pair of pairs) {
      writeCounterparts(db, members[reference]!.saeId, members[pair.other]!.saeId, run, pair.forward);
      writeCounterparts(db, members[pair.other]!.saeId, members[reference]!.saeId, run, pair.backward);
    }
  } finally {
    for (const r of runners) r.dispose();
  }
  return { members, matchTokens: count * perWindow };
}
