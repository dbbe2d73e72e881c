// Lists what a workspace folder holds by reading the files themselves (config.json, cfg.json), so
// anything copied into the folder by hand shows up too. Unreadable entries are skipped with a
// warning rather than hiding the rest of the workspace. Nothing here may block or walk out of the
// workspace: symlinks are never followed when sizing, and only regular files are read (a FIFO named
// config.json would block the compute process forever on its read).
import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from '../../io/regular-file.js';
import type { DatabaseEntry, DatasetEntry, DatasetKind, FamilyEntry, LmEvaluation, ModelEntry, SaeEntry, SaeEvaluation, WorkspaceListing } from '../../../src-shared/api.js';
import { SET_FILE, readSetFile } from '../../features/comparable-set.js';
import { LM_EVAL_FILE } from '../../lm/eval-record.js';
import { EMBEDDED_DATASET, type WorkspaceLayout } from './layout.js';

export type ScanWarning = (message: string) => void;

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => !name.startsWith('.')).sort();
  } catch {
    return [];
  }
}

/** stat or lstat, or null for any failure (missing, ELOOP, EACCES): a bad entry is not a failed listing. */
function statOrNull(target: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(target) : lstatSync(target);
  } catch {
    return null;
  }
}

/**
 * Bytes of a file or of every file below a folder. Symlinks count as themselves and are never
 * followed, the entry itself included: `datasets/etc -> /etc` must not walk /etc, nor a loop spin.
 */
export function sizeOnDisk(target: string): number {
  const stat = statOrNull(target, false);
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  return listDir(target).reduce((sum, name) => sum + sizeOnDisk(path.join(target, name)), 0);
}

function readJson(file: string): Record<string, unknown> {
  const value: unknown = JSON.parse(readRegularFile(file));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file}: expected a JSON object`);
  return value as Record<string, unknown>;
}

function positiveInt(json: Record<string, unknown>, keys: string[], file: string): number {
  for (const key of keys) {
    const value = json[key];
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  }
  throw new Error(`${file}: "${keys[0]}" must be a positive integer`);
}

function readProvenance(folder: string): string | null {
  try {
    const json = readJson(path.join(folder, 'provenance.json'));
    return typeof json.source === 'string' ? json.source : null;
  } catch {
    return null;
  }
}

export function scanModel(layout: WorkspaceLayout, id: string, warn: ScanWarning = () => {}): ModelEntry {
  const folder = layout.model(id);
  const file = path.join(folder, 'config.json');
  const config = readJson(file);
  return {
    id,
    path: folder,
    nLayers: positiveInt(config, ['n_layer'], file),
    dModel: positiveInt(config, ['n_embd'], file),
    nHeads: positiveInt(config, ['n_head'], file),
    nCtx: positiveInt(config, ['n_positions', 'n_ctx'], file),
    vocabSize: positiveInt(config, ['vocab_size'], file),
    sizeBytes: sizeOnDisk(folder),
    provenance: readProvenance(folder),
    evaluation: modelEvaluation(layout, id, warn),
  };
}

/** A model's stored evaluation (lm_eval.json, or its record beside a linked model); null when it has none. */
export function modelEvaluation(layout: WorkspaceLayout, id: string, warn: ScanWarning = () => {}): LmEvaluation | null {
  return readFigures<LmEvaluation>(layout.modelRecord(id, LM_EVAL_FILE), LM_EVAL_FIGURES, ['dataset'], 'the model', warn);
}

export function datasetKind(file: string, isDir: boolean): DatasetKind | null {
  if (isDir) return 'folder';
  const ext = path.extname(file).toLowerCase();
  if (ext === '.txt') return 'txt';
  if (ext === '.jsonl') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  return null;
}

/** eval.json keys (src-main/train/eval.ts, evalResultJson) → SaeEvaluation fields. */
const EVAL_FIGURES = { tokens: 'tokens', eval_fvu: 'evalFvu', l0: 'l0', never_fired_frac: 'neverFiredFrac', delta_lm_loss: 'deltaLmLoss', ce_loss_score: 'ceLossScore' } as const;
/** lm_eval.json keys (src-main/lm/eval-record.ts, lmEvalJson) → LmEvaluation fields. */
const LM_EVAL_FIGURES = {
  positions: 'positions', model_loss: 'modelLoss', bigram_loss: 'bigramLoss', unigram_loss: 'unigramLoss', train_tokens: 'trainTokens', holdout_every: 'holdoutEvery', ctx: 'ctx',
} as const;

/**
 * A stored evaluation: its `figures` (JSON key → field), `optional` figures (left out when the file
 * predates them) and `texts` (string or null), or null when the file is absent. A broken one is reported and listed as no evaluation, so `subject` itself stays
 * usable (re-evaluating it rewrites the file).
 */
function readFigures<T>(file: string, figures: Record<string, string>, texts: string[], subject: string, warn: ScanWarning, optional: Record<string, string> = {}): T | null {
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return null;
  try {
    const json = readJson(file);
    const out: Record<string, number | string | null> = {};
    for (const [key, field] of Object.entries(figures)) {
      const value = json[key];
      // JSON has no NaN: a figure of 0/0 (e.g. ce_loss_score when ablation costs nothing) is written as null.
      if (value === null) out[field] = Number.NaN;
      else if (typeof value === 'number') out[field] = value;
      else throw new Error(`"${key}" must be a number, got ${JSON.stringify(value)}`);
    }
    for (const [key, field] of Object.entries(optional)) {
      const value = json[key];
      if (typeof value === 'number') out[field] = value;
      else if (value !== undefined) throw new Error(`"${key}" must be a number, got ${JSON.stringify(value)}`);
    }
    for (const key of texts) out[key] = typeof json[key] === 'string' ? json[key] : null;
    return out as T;
  } catch (err) {
    warn(`ignored ${file}: ${(err as Error).message}; re-evaluate ${subject} to rewrite it`);
    return null;
  }
}

/** Reads a SAELens cfg.json, v6 keys first and the legacy (< 6.0) keys as fallback. */
export function scanSae(layout: WorkspaceLayout, id: string, family: string | null, warn: ScanWarning = () => {}): SaeEntry {
  const folder = layout.sae(id);
  const file = path.join(folder, 'cfg.json');
  const cfg = readJson(file);
  const metadata = (typeof cfg.metadata === 'object' && cfg.metadata !== null ? cfg.metadata : {}) as Record<string, unknown>;
  const kwargs = (typeof cfg.activation_fn_kwargs === 'object' && cfg.activation_fn_kwargs !== null ? cfg.activation_fn_kwargs : {}) as Record<string, unknown>;
  // Ours keep the trained architecture (batchtopk, matryoshka_batchtopk) and its k beside the saved one (jumprelu).
  const explorer = (typeof metadata.sae_explorer === 'object' && metadata.sae_explorer !== null ? metadata.sae_explorer : {}) as Record<string, unknown>;
  const k = cfg.k ?? kwargs.k ?? explorer.k;
  const architecture = explorer.architecture ?? cfg.architecture ?? (cfg.activation_fn_str === 'topk' ? 'topk' : 'standard');
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  return {
    id,
    family,
    path: folder,
    architecture: text(architecture),
    dIn: positiveInt(cfg, ['d_in'], file),
    dSae: positiveInt(cfg, ['d_sae'], file),
    k: typeof k === 'number' ? k : null,
    modelName: text(metadata.model_name ?? cfg.model_name),
    hookName: text(metadata.hook_name ?? cfg.hook_name ?? cfg.hook_point),
    sizeBytes: sizeOnDisk(folder),
    evaluation: readFigures<SaeEvaluation>(path.join(folder, 'eval.json'), EVAL_FIGURES, ['model', 'dataset'], 'the SAE', warn, { kl_div: 'klDiv' }),
  };
}

function isDir(target: string): boolean {
  return statOrNull(target, true)?.isDirectory() ?? false;
}

function hasFile(folder: string, name: string): boolean {
  return statOrNull(path.join(folder, name), true)?.isFile() ?? false;
}

/**
 * Lists the workspace. An SAE folder directly under saes/ is a lone SAE; a folder whose subfolders
 * are SAE folders is a family: a checkpoints set when its family.json says so (members in the set's
 * order), else a set of sizes (members by d_sae; an unreadable family.json is reported and the
 * folder listed as sizes, as before sets had kinds).
 */
export function scanWorkspace(layout: WorkspaceLayout, warn: ScanWarning = () => {}): WorkspaceListing {
  const attempt = <T>(what: string, read: () => T): T | null => {
    try {
      return read();
    } catch (err) {
      warn(`skipped ${what}: ${(err as Error).message}`);
      return null;
    }
  };
  const models = listDir(layout.dir('models'))
    .filter((id) => isDir(layout.model(id)))
    .map((id) => attempt(`model ${id}`, () => scanModel(layout, id, warn)))
    .filter((entry): entry is ModelEntry => entry !== null);

  const datasets: DatasetEntry[] = [{ id: EMBEDDED_DATASET, path: null, kind: 'embedded', sizeBytes: 0 }];
  for (const id of listDir(layout.dir('datasets'))) {
    const target = layout.dataset(id);
    const kind = datasetKind(target, isDir(target));
    if (kind) datasets.push({ id, path: target, kind, sizeBytes: sizeOnDisk(target) });
  }

  const saes: SaeEntry[] = [];
  const families: FamilyEntry[] = [];
  for (const name of listDir(layout.dir('saes'))) {
    const folder = layout.family(name);
    if (!isDir(folder)) continue;
    if (hasFile(folder, 'cfg.json')) {
      const sae = attempt(`SAE ${name}`, () => scanSae(layout, name, null, warn));
      if (sae) saes.push(sae);
      continue;
    }
    const set = hasFile(folder, SET_FILE) ? attempt(`${SET_FILE} of ${name}`, () => readSetFile(folder, readRegularFile)) : null;
    if (set?.kind === 'checkpoints') {
      const listed = set.members.flatMap((member) => {
        const sub = path.relative(folder, member.path);
        if (sub.includes(path.sep) || sub.startsWith('..') || !hasFile(member.path, 'cfg.json')) {
          warn(`skipped member "${member.label}" of ${name}: ${member.path} is not an SAE folder directly inside the set`);
          return [];
        }
        const sae = attempt(`SAE ${name}/${sub}`, () => scanSae(layout, `${name}/${sub}`, name, warn));
        return sae ? [{ sae, label: member.label, model: member.model ?? sae.modelName }] : [];
      });
      if (listed.length === 0) continue;
      saes.push(...listed.map((m) => m.sae));
      const final = listed[listed.length - 1]!;
      families.push({
        id: name,
        path: folder,
        modelName: final.model,
        hookName: final.sae.hookName,
        sizes: listed.map((m) => m.sae.dSae),
        saes: listed.map((m) => m.sae.id),
        kind: 'checkpoints',
        labels: listed.map((m) => m.label),
        models: listed.map((m) => m.model),
      });
      continue;
    }
    const members = listDir(folder)
      .filter((sub) => isDir(path.join(folder, sub)) && hasFile(path.join(folder, sub), 'cfg.json'))
      .map((sub) => attempt(`SAE ${name}/${sub}`, () => scanSae(layout, `${name}/${sub}`, name, warn)))
      .filter((entry): entry is SaeEntry => entry !== null)
      .sort((a, b) => a.dSae - b.dSae);
    if (members.length === 0) continue;
    saes.push(...members);
    families.push({
      id: name,
      path: folder,
      modelName: members[0]!.modelName,
      hookName: members[0]!.hookName,
      sizes: members.map((m) => m.dSae),
      saes: members.map((m) => m.id),
      kind: 'sizes',
      labels: members.map((m) => String(m.dSae)),
      models: members.map((m) => m.modelName),
    });
  }

  const databases: DatabaseEntry[] = listDir(layout.dir('db'))
    .filter((id) => /\.(sqlite|db)$/.test(id))
    .map((id) => ({ id, path: layout.database(id), sizeBytes: sizeOnDisk(layout.database(id)) }));

  return { root: layout.root, models, datasets, families, saes, databases };
}
