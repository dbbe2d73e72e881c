// What the demo builds on a model: one family of top-k SAEs at one site, trained on the embedded
// State of the Union corpus, harvested into the workspace's feature database and mapped; and when the
// model folder carries snapshots of its pretraining (snapshots/step-N/, src-main/lm/snapshots.ts), a
// checkpoints set at the same site: one SAE per snapshot and one on the final model, harvested and
// matched by activation correlation. The CLI's `demo` and the app's demo.build job both read their
// settings here and ask `demoProgress` what is already built, so a rerun by either reuses the other's work.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HookName } from '../../src-shared/hooks.js';
import type { Gpt2Config } from '../model/config.js';
import { DEFAULT_DATABASE, type WorkspaceLayout } from '../jobs/workspace/layout.js';
import { listSnapshots, type ModelSnapshot } from '../lm/snapshots.js';
import { defaultLearningRate } from '../sae/config.js';
import { SET_FILE, readSetFile } from '../features/comparable-set.js';
import { storedSharePresent } from '../features/counterparts.js';
import { openStore } from '../store/open.js';
import { mapBases, mapData } from '../store/queries.js';

/** The demo's settings a caller may change; every field has a default in DEMO_DEFAULTS. */
export interface DemoSettings {
  /** Dictionary sizes as multiples of d_model; default 2, 4, 8. */
  expansion: number[];
  /** Active latents per token; default 32 at GPT-2 small's width (Gao et al.), d_model / 8 for narrower models. */
  k?: number;
  /** Hook to train on; default blocks.8.hook_resid_post (Gao et al.) for 12+ layers, else the residual stream entering the middle block. */
  hook?: string;
  /** Training tokens; default 1,000,000. */
  tokens: number;
  /** Tokens per training step; default 1,024. */
  batch: number;
  /** Learning rate of every size; default the trainer's rate for the smallest size, 2e-4 / sqrt(d_sae / 2^14). */
  lr?: number;
  /** Held-out tokens for the final evals (FVU, ΔLM loss, CE score), 0 = none; default 4,096. */
  evalTokens: number;
  /** Tokens read to find each latent's top contexts; default 100,000. */
  harvestTokens: number;
  /**
   * Training tokens of each member of the checkpoints set (one SAE per snapshot plus one on the final
   * model), 0 = no set; default 500,000. Each member pays its own model's start-up, forward and eval,
   * with one SAE: on the shipped model with two snapshots (copies of it, so the same cost per token)
   * the three members trained in 220 s and were harvested and matched in 56 s on this 2-core machine
   * while other work kept it loaded (load average ~6), so the demo, whose family takes ~5 minutes at
   * 1M tokens, stays near 10 of its 15 minutes. 1M each would add another ~3 minutes.
   */
  checkpointTokens: number;
}

export const DEMO_DEFAULTS: DemoSettings = { expansion: [2, 4, 8], tokens: 1_000_000, batch: 1024, evalTokens: 4096, harvestTokens: 100_000, checkpointTokens: 500_000 };

/** The corpus the demo trains and harvests on: the embedded State of the Union addresses. */
export const DEMO_DATASET = 'sotu';

export interface DemoPlan {
  /** The model folder (in the workspace, or a Hub snapshot). */
  modelDir: string;
  hook: HookName;
  latents: number[];
  k: number;
  tokens: number;
  batch: number;
  lr: number;
  evalTokens: number;
  harvestTokens: number;
  /** The family folder under the workspace's saes/. */
  familyDir: string;
  /** The workspace's feature database. */
  database: string;
  /** The checkpoints set, when the model folder carries snapshots and checkpointTokens > 0; else null. */
  checkpoints: DemoCheckpointsPlan | null;
}

/** A checkpoints set at the family's hook, with its k, batch, rate, eval and harvest tokens. */
export interface DemoCheckpointsPlan {
  /** The model's snapshots, earliest first; the set's last member is the final model, plan.modelDir. */
  snapshots: ModelSnapshot[];
  /** The one dictionary size of every member. */
  latents: number;
  /** Training tokens of each member, the same windows in the same order for all. */
  tokens: number;
  /** The set folder under the workspace's saes/. */
  setDir: string;
}

/** The demo's plan for the model in `modelDir`, with `settings` over the defaults. */
export function demoPlan(workspace: WorkspaceLayout, modelDir: string, model: Pick<Gpt2Config, 'nLayer' | 'nEmbd'>, settings: Partial<DemoSettings> = {}): DemoPlan {
  // A setting left undefined (a flag not given) keeps its default.
  const s: DemoSettings = { ...DEMO_DEFAULTS, ...Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)) };
  // A deep model gets the paper's site; in a shallow one the middle of the stream, where features are
  // past the token embedding and not yet only about the next token.
  const hook = (s.hook ?? (model.nLayer >= 12 ? 'blocks.8.hook_resid_post' : `blocks.${Math.floor(model.nLayer / 2)}.hook_resid_pre`)) as HookName;
  // The paper's k = 32 is 4% of GPT-2 small's 768 dimensions; a narrow model's 32 would be a quarter dense.
  const k = s.k ?? (model.nEmbd >= 768 ? 32 : Math.max(4, Math.round(model.nEmbd / 8)));
  const latents = s.expansion.map((e) => Math.round(e * model.nEmbd));
  const site = hook.replace(/[^\w.-]/g, '_');
  const snapshots = listSnapshots(modelDir);
  return {
    modelDir,
    hook,
    latents,
    k,
    tokens: s.tokens,
    batch: s.batch,
    // The trainer's rule lowers the rate as the dictionary grows, which suits long runs; in the demo's
    // short one it left the larger sizes behind (measured on the previous shipped model, GPT-2's
    // vocabulary: 500k tokens on an early snapshot, held-out nMSE 0.0033, 0.0038, 0.0059 for 512,
    // 1,024, 2,048 latents; at the smallest one's rate, 200k tokens: 0.040, 0.038, 0.038), so every
    // size trains at it. The sizes stop at 8 × d_model, where on that model 2,048 latents did not beat
    // 1,024 at 1.5M tokens. On today's shipped model 256, 512 and 1,024 fall clearly in order at 1M
    // tokens (held-out FVU 0.132, 0.107, 0.086; docs/demo.md).
    lr: s.lr ?? defaultLearningRate(Math.min(...latents)),
    evalTokens: s.evalTokens,
    harvestTokens: s.harvestTokens,
    familyDir: workspace.family(`demo-${path.basename(modelDir)}-${site}`),
    database: workspace.database(DEFAULT_DATABASE),
    checkpoints: snapshots.length > 0 && s.checkpointTokens > 0
      ? {
          snapshots,
          // The family's middle size: the largest is the slowest per token and the least trained on
          // the set's fewer tokens, the smallest merges what larger dictionaries tell apart, and the
          // middle one is also a family member, so the set's final SAE can be read beside it.
          latents: latents[Math.floor((latents.length - 1) / 2)]!,
          tokens: s.checkpointTokens,
          setDir: workspace.family(`demo-${path.basename(modelDir)}-checkpoints-${site}`),
        }
      : null,
  };
}

export interface DemoProgress {
  /** The family's family.json exists: every size finished training. */
  trained: boolean;
  /** Every latent of every size has decoder-map coordinates in the database (so it was harvested, too), and the family has an activation map. */
  mapped: boolean;
  /** The checkpoints set's progress; null when the plan has no set. */
  checkpoints: { trained: boolean; matched: boolean } | null;
}

/** What of `plan` is already built in its workspace. */
export function demoProgress(plan: DemoPlan): DemoProgress {
  const familyFile = path.join(plan.familyDir, 'family.json');
  const trained = existsSync(familyFile);
  const setTrained = plan.checkpoints !== null && existsSync(path.join(plan.checkpoints.setDir, SET_FILE));
  const checkpoints = plan.checkpoints && { trained: setTrained, matched: setTrained && (checkpointShares(plan)?.every((m) => m.share !== null) ?? false) };
  if (!trained || !existsSync(plan.database)) return { trained, mapped: false, checkpoints };
  const { sizes } = JSON.parse(readFileSync(familyFile, 'utf8')) as { sizes: number[] };
  const db = openStore(plan.database, { readonly: true });
  try {
    const family = db.prepare(`SELECT id FROM sae_families WHERE path = ?`).get(path.resolve(plan.familyDir)) as { id: number } | undefined;
    if (!family) return { trained, mapped: false, checkpoints };
    const map = mapData(db, { familyId: family.id }, 'decoder');
    const complete = map.saes.length === sizes.length && map.saeIndex.length === sizes.reduce((n, size) => n + size, 0);
    return { trained, mapped: complete && mapBases(db, { familyId: family.id }).includes('activation'), checkpoints };
  } finally {
    db.close();
  }
}

/** One earlier checkpoint of the set: the share of the final SAE's latents present there (storedSharePresent at PRESENT_AT). */
export interface CheckpointShare {
  /** The member's label, its snapshot's folder name ("step-N"). */
  label: string;
  /** Null while the set is not harvested and matched in the plan's database. */
  share: number | null;
}

/**
 * The "already there" figure of the plan's checkpoints set, per earlier checkpoint, earliest first,
 * read from the feature database; null when the plan has no set or the set is not trained yet.
 */
export function checkpointShares(plan: DemoPlan): CheckpointShare[] | null {
  if (!plan.checkpoints || !existsSync(path.join(plan.checkpoints.setDir, SET_FILE))) return null;
  const members = readSetFile(plan.checkpoints.setDir).members;
  const earlier = members.slice(0, -1);
  if (!existsSync(plan.database)) return earlier.map((m) => ({ label: m.label, share: null }));
  const db = openStore(plan.database, { readonly: true });
  try {
    const id = (dir: string) => (db.prepare(`SELECT id FROM saes WHERE path = ?`).get(path.resolve(dir)) as { id: number } | undefined)?.id;
    const final = id(members[members.length - 1]!.path);
    return earlier.map((m) => {
      const other = id(m.path);
      return { label: m.label, share: final === undefined || other === undefined ? null : storedSharePresent(db, final, other) };
    });
  } finally {
    db.close();
  }
}
