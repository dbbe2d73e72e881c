// Where things live inside a workspace folder. Every handler resolves paths through here, so the
// layout is written down once:
//   models/<model>/           Hugging Face GPT-2 folder (config.json, model.safetensors, tokenizer),
//                             plus lm_eval.json once evaluated (models/.<model>.lm_eval.json for a
//                             folder linked from the Hugging Face cache, which is never written into)
//   datasets/<file|folder>    corpora the trainer accepts (.txt, .jsonl, .parquet, folders of them)
//   saes/<family>/<d_sae>/    SAELens folders (cfg.json, sae_weights.safetensors), one per size
//   db/<name>.sqlite          feature databases
//   jobs/<job id>.json        job records, so jobs outlive the compute process (src-main/jobs/job-store.ts)
//   steer/presets.json        named steering settings (src-main/jobs/handlers/steer.ts)
//   uploads/<id>/             files received from a browser or a desktop dialog, until a request uses them (uploads.ts)
//   comparisons/<id>.json     results of compare.start, one per comparison of two SAEs (handlers/compare.ts)
import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import { hubCacheDir } from '../../hub/cache.js';
import { DATASET_ID, ENTRY_NAME } from '../params.js';

export const WORKSPACE_DIRS = ['models', 'datasets', 'saes', 'db', 'jobs', 'steer', 'uploads', 'comparisons'] as const;
export type WorkspaceDir = (typeof WORKSPACE_DIRS)[number];

export const DEFAULT_DATABASE = 'features.sqlite';
export const EMBEDDED_DATASET = 'embedded:sotu';

/**
 * What a request's id names in the workspace: `present` (there, and its real path lies inside the
 * workspace), `absent` (nothing there; creating it would stay inside), or `refused` (something there
 * that leads outside the workspace or nowhere: a symlink out, a dangling link). A refused entry reads
 * as missing, so a request can never learn whether a path outside the workspace exists.
 */
export interface WorkspaceEntry {
  /** The entry's path under the workspace folder, not resolved, so ids and stored paths stay stable. */
  path: string;
  state: 'present' | 'absent' | 'refused';
}

const ENTRY_NOUN: Record<WorkspaceDir, string> = { models: 'model', datasets: 'dataset', saes: 'SAE', db: 'database', jobs: 'job record', steer: 'steering file', uploads: 'upload', comparisons: 'comparison' };

function realOrNull(target: string): string | null {
  try {
    return realpathSync(target);
  } catch {
    return null;
  }
}

function isInside(real: string, root: string): boolean {
  return real === root || real.startsWith(root + path.sep);
}

export class WorkspaceLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Creates the workspace's folders when missing (a fresh workspace is an empty folder). */
  ensure(): void {
    for (const dir of WORKSPACE_DIRS) mkdirSync(path.join(this.root, dir), { recursive: true });
  }

  dir(kind: WorkspaceDir): string {
    return path.join(this.root, kind);
  }

  model(id: string): string {
    return path.join(this.root, 'models', id);
  }

  dataset(id: string): string {
    return path.join(this.root, 'datasets', id);
  }

  family(id: string): string {
    return path.join(this.root, 'saes', id);
  }

  /** `id` is "family/size" or a lone SAE folder name; segments are validated by the handlers. */
  sae(id: string): string {
    return path.join(this.root, 'saes', ...id.split('/'));
  }

  database(id: string = DEFAULT_DATABASE): string {
    return path.join(this.root, 'db', id);
  }

  /**
   * A file the app keeps with a model (its evaluation): in the model's folder, or, for a folder
   * linked in from the Hugging Face cache, which other tools and workspaces share, beside the link
   * as models/.<id>.<file> (the listing skips dot files).
   */
  modelRecord(id: string, file: string): string {
    const real = realOrNull(this.model(id));
    const root = realOrNull(this.root);
    return real !== null && root !== null && isInside(real, root) ? path.join(this.model(id), file) : path.join(this.root, 'models', `.${id}.${file}`);
  }

  /**
   * The one place where an id from a request becomes a path. The id must be a name (ENTRY_NAME; for
   * saes/ also "family/size"; for datasets/ DATASET_ID, any file name), and the entry's real path, after symlinks, must lie inside the workspace, or for
   * models inside the Hugging Face cache, where `workspace.pullModel` links them. Throws bad_request
   * naming the id when it is not a name; otherwise see WorkspaceEntry.
   */
  entry(method: string, kind: WorkspaceDir, id: string): WorkspaceEntry {
    const segments = id.split('/');
    const maxSegments = kind === 'saes' ? 2 : 1;
    const name = kind === 'datasets' ? DATASET_ID.pattern : ENTRY_NAME.pattern;
    if (segments.length > maxSegments || !segments.every((segment) => name.test(segment))) {
      const shape = kind === 'datasets' ? 'a file or folder name (no "/", "\\" or leading ".")' : `${maxSegments === 2 ? '"family/size" or "name"' : 'a name'} of letters, digits, ".", "_" and "-"`;
      throw new ApiError('bad_request', `${method}: ${ENTRY_NOUN[kind]} "${id}" is not an entry of the workspace's ${kind}/; expected ${shape}`);
    }
    const target = path.join(this.dir(kind), ...segments);
    const roots = [realOrNull(this.root), kind === 'models' ? realOrNull(hubCacheDir()) : null].filter((root) => root !== null);
    const contained = (real: string | null): boolean => real !== null && roots.some((root) => isInside(real, root));
    const real = realOrNull(target);
    if (real !== null) return { path: target, state: contained(real) ? 'present' : 'refused' };
    let there = true;
    try {
      lstatSync(target);
    } catch {
      there = false;
    }
    // Nothing there: it may be created, unless its folder already leads elsewhere.
    const parent = realOrNull(path.dirname(target));
    return { path: target, state: !there && (parent === null || contained(parent)) ? 'absent' : 'refused' };
  }
}
