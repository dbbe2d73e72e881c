// Imports a public release by name: its SAE folders are downloaded (with progress and resume) into
// the Hugging Face cache, checked against what the registry says they are, corrected where the
// registry says so, and written as family folders — `<out>/<family>/<d_sae>/` SAELens folders and
// the family.json that harvest, UMAP and the family tree read — each appearing whole or not at all.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { downloadSnapshot, type ProgressCallback } from '../../hub/download.js';
import { writeJsonAtomic } from '../../io/atomic.js';
import { loadSaeLens, saveSaeLens, SAELENS_CFG, SAELENS_SPARSITY, SAELENS_WEIGHTS } from '../formats/saelens.js';
import { writeFolderAtomic } from '../formats/tensor-io.js';
import { validateBundle, type ModelShape } from '../formats/validate.js';
import type { SaeBundle } from '../types.js';
import { foldResidualCentring } from './centring.js';
import { GPT2_SMALL_D_MODEL, findRelease, planReleaseFamilies, selectReleaseSaes, type ReleaseFamilyPlan, type ReleaseSae, type SaeRelease } from './registry.js';

/** The file a family folder lists its sizes in (src-main/features/harvest-inputs.ts reads it). */
const FAMILY_FILE = 'family.json';

export interface ReleaseImportOptions {
  /** Blocks to import (all of the release's when omitted). */
  layers?: readonly number[];
  /** Folder that receives one family folder per hook site (a workspace's saes/). */
  out: string;
  /** The GPT-2 the SAEs will run on: d_in and hook are checked against it. */
  model?: ModelShape;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface ImportedReleaseFamily {
  /** Folder name under `out`. */
  id: string;
  path: string;
  hookName: string;
  sizes: number[];
}

export interface ImportedRelease {
  release: SaeRelease;
  /** The repo commit the files came from. */
  commit: string;
  families: ImportedReleaseFamily[];
}

const inFolder = (sae: ReleaseSae, file: string) => `${sae.folder}/${file}`;

/** Throws naming the repo folder and the field when a downloaded SAE is not what the registry says. */
function checkAgainstRegistry(release: SaeRelease, sae: ReleaseSae, bundle: SaeBundle): void {
  const { spec } = bundle;
  const where = `${release.repoId}/${sae.folder}`;
  const expect = (field: string, got: unknown, want: unknown) => {
    if (got !== want) throw new Error(`${where}: ${field} is ${JSON.stringify(got)}, but release ${release.name} lists ${JSON.stringify(want)}; the repo has changed since this app's registry was written`);
  };
  expect('hook', spec.hookName, sae.hookName);
  expect('architecture', spec.architecture, release.architecture);
  expect('normalize_activations', spec.normalizeActivations, release.normalizeActivations);
  if (release.k !== undefined) expect('k', spec.k, release.k);
  // The ratio, not d_sae itself, so a copy of the release at a smaller width checks the same way.
  if (spec.dSae * GPT2_SMALL_D_MODEL !== sae.dSae * spec.dIn) {
    throw new Error(`${where}: d_sae ${spec.dSae} at d_in ${spec.dIn} is not the ${sae.dSae} latents per ${GPT2_SMALL_D_MODEL} dimensions release ${release.name} lists; the repo has changed since this app's registry was written`);
  }
}

/** Reads one downloaded SAE folder, checks it, and applies the release's correction. */
function loadReleaseSae(release: SaeRelease, sae: ReleaseSae, snapshot: string, model: ModelShape | undefined): SaeBundle {
  const loaded = loadSaeLens(path.join(snapshot, sae.folder));
  checkAgainstRegistry(release, sae, loaded);
  const bundle = release.centredResidual ? foldResidualCentring(loaded) : loaded;
  // TransformerLens calls the model "gpt2-small"; the workspace knows it by its Hub name.
  bundle.spec.modelName = release.model;
  try {
    validateBundle(bundle, model);
  } catch (err) {
    throw new Error(`${release.repoId}/${sae.folder}: ${(err as Error).message}`);
  }
  return bundle;
}

function familyJson(release: SaeRelease, plan: ReleaseFamilyPlan, commit: string, first: SaeBundle, sizes: number[]): Record<string, unknown> {
  return {
    version: 2,
    model: release.model,
    hook: plan.hookName,
    dataset: first.spec.datasetPath ?? null,
    architecture: release.architecture,
    sizes,
    k: release.k ?? null,
    // Not trained here: no token count, and no training or eval figures until the SAEs are evaluated.
    tokens: null,
    context: first.spec.contextSize,
    saes: sizes.map((dSae) => ({ d_sae: dSae, path: String(dSae), train: null, eval: null })),
    release: {
      name: release.name,
      repo: release.repoId,
      commit,
      sae_ids: plan.saes.map((s) => s.id),
      normalize_activations: release.normalizeActivations,
      centring_folded: release.centredResidual,
      summary: release.summary,
      caveats: release.caveats,
    },
    created: new Date().toISOString(),
  };
}

/** Writes one family folder atomically, loading one SAE at a time (the largest sizes are 600 MB each). */
function writeFamily(release: SaeRelease, plan: ReleaseFamilyPlan, snapshot: string, dir: string, model: ModelShape | undefined): number[] {
  const sizes: number[] = [];
  writeFolderAtomic(dir, (tmp) => {
    let first: SaeBundle | undefined;
    for (const sae of plan.saes) {
      const bundle = loadReleaseSae(release, sae, snapshot, model);
      first ??= bundle;
      saveSaeLens(path.join(tmp, String(bundle.spec.dSae)), bundle);
      sizes.push(bundle.spec.dSae);
    }
    writeJsonAtomic(path.join(tmp, FAMILY_FILE), familyJson(release, plan, path.basename(snapshot), first!, sizes));
  });
  return sizes;
}

/**
 * Downloads release `name` (the SAEs of `layers`) and writes its families under `opts.out`. Refuses,
 * before any download, an unknown release, a layer the release lacks, and a family folder that
 * already exists.
 */
export async function importRelease(name: string, opts: ReleaseImportOptions): Promise<ImportedRelease> {
  const release = findRelease(name);
  const saes = selectReleaseSaes(release, opts.layers);
  const plans = planReleaseFamilies(release, saes);
  const taken = plans.map((p) => path.join(opts.out, p.id)).filter((dir) => existsSync(dir));
  if (taken.length > 0) throw new Error(`${taken.join(', ')} already ${taken.length === 1 ? 'exists' : 'exist'}; remove ${taken.length === 1 ? 'it' : 'them'} or import into another folder`);

  const snapshot = await downloadSnapshot(release.repoId, {
    files: saes.flatMap((s) => [inFolder(s, SAELENS_CFG), inFolder(s, SAELENS_WEIGHTS)]),
    // Firing frequencies: published for the jbloom releases, absent from some mirrors.
    optionalFiles: saes.map((s) => inFolder(s, SAELENS_SPARSITY)),
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
  const families = plans.map((plan) => {
    const dir = path.join(opts.out, plan.id);
    const sizes = writeFamily(release, plan, snapshot, dir, opts.model);
    return { id: plan.id, path: dir, hookName: plan.hookName, sizes };
  });
  return { release, commit: path.basename(snapshot), families };
}
