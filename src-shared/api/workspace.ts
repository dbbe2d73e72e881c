// Workspace domain of the API contract: what the workspace folder holds (models, datasets, SAE
// families, SAEs, feature databases) and the requests that add to it.
import type { LmEvaluation } from './lm.js';
import type { SaeEvaluation } from './saes.js';

/** A GPT-2-style model folder (Hugging Face layout: config.json + model.safetensors). */
export interface ModelEntry {
  /** Folder name under the workspace's models/ — the `model` part of a feature id. */
  id: string;
  /** Absolute path of the folder. */
  path: string;
  nLayers: number;
  dModel: number;
  nHeads: number;
  nCtx: number;
  vocabSize: number;
  /** Bytes on disk, all files of the folder. */
  sizeBytes: number;
  /** Where it came from, from the folder's provenance file when present ("tiny seed 0", "hub gpt2"). */
  provenance: string | null;
  /** The model's lm_eval.json (written by lm.evaluate); null when it has none. */
  evaluation: LmEvaluation | null;
}

export type DatasetKind = 'txt' | 'jsonl' | 'parquet' | 'folder' | 'embedded';

export interface DatasetEntry {
  /** File or folder name under the workspace's datasets/, or "embedded:sotu" for the built-in corpus. */
  id: string;
  path: string | null;
  kind: DatasetKind;
  sizeBytes: number;
}

/** One trained or imported SAE (a SAELens folder: cfg.json + sae_weights.safetensors). */
export interface SaeEntry {
  /** Path under the workspace's saes/ with forward slashes, e.g. "layer8-topk/4096" — the `sae` part of a feature id. */
  id: string;
  /** The family id when the SAE sits in a family folder, else null. */
  family: string | null;
  path: string;
  architecture: string;
  dIn: number;
  dSae: number;
  /** Active latents per token, for top-k architectures. */
  k: number | null;
  modelName: string;
  hookName: string;
  sizeBytes: number;
  /** The SAE's eval.json (written by training, `sae eval --save` or saes.evaluate); null when it has none. */
  evaluation: SaeEvaluation | null;
}

/**
 * A comparable set of SAEs at one site (family.json): "sizes", several dictionary sizes trained
 * together on one model (the feature-splitting comparison), or "checkpoints", one SAE per checkpoint
 * of a model's pretraining, each on its own model, all on the same tokens.
 */
export interface FamilyEntry {
  /** Folder name under the workspace's saes/. */
  id: string;
  path: string;
  modelName: string;
  hookName: string;
  /** d_sae of each member: ascending for sizes, in the set's order for checkpoints. */
  sizes: number[];
  /** SaeEntry ids of the members, in the order of `sizes`. */
  saes: string[];
  /** 'sizes' for families without a kind in their family.json (all before comparable sets). */
  kind: 'sizes' | 'checkpoints';
  /** The members' names in the set, in the order of `saes`: d_sae for sizes, the checkpoint ("step-74", "final"). */
  labels: string[];
  /** ModelEntry id of each member's model, in the order of `saes` (one model for a sizes set: `modelName` repeated). */
  models: string[];
}

/** A feature database (SQLite file) of the workspace. */
export interface DatabaseEntry {
  /** File name under the workspace's db/. */
  id: string;
  path: string;
  sizeBytes: number;
}

export interface WorkspaceListing {
  root: string;
  models: ModelEntry[];
  datasets: DatasetEntry[];
  families: FamilyEntry[];
  saes: SaeEntry[];
  databases: DatabaseEntry[];
}

export interface WorkspaceInfo {
  /** Absolute path of the workspace folder. */
  root: string;
  /** tfjs backend of the compute process, null until the engine has started. */
  backend: string | null;
  /** Version of the app (package.json). */
  version: string;
  /** The Node.js the compute process runs on: `process.version` and its real executable path. */
  node: { version: string; path: string };
}

/** Parameters of a tiny random GPT-2 for tests and demos; omitted fields take the generator's defaults. */
export interface CreateTinyModelParams {
  /** Folder name under models/: letters, digits, '.', '_' and '-'. */
  name: string;
  /** Transformer blocks; default 2. */
  layers?: number;
  /** Residual width; default 64. */
  dModel?: number;
  /** Attention heads; default 4. */
  heads?: number;
  /** Context length in tokens; default 128. */
  ctx?: number;
  /** Seed of the random weights; default 0. */
  seed?: number;
}

export interface PullModelParams {
  /** Hugging Face model name, e.g. "gpt2". */
  name: string;
}

/**
 * Why the app knows a workspace it may open: the one open now, one named when the shell was started,
 * the demo workspace, one opened before (remembered), one in the workspaces root `serve` was given.
 */
export type KnownWorkspaceSource = 'current' | 'launch' | 'demo' | 'recent' | 'root';

/** A workspace the shell may open. Only these can be opened by id: a page never sends a path. */
export interface KnownWorkspace {
  /** Stable id of the folder (a hash of its path), for workspace.open. */
  id: string;
  /** Absolute path of the folder, shown to the user. */
  path: string;
  /** The folder's name. */
  name: string;
  sources: KnownWorkspaceSource[];
  current: boolean;
}

export interface WorkspaceChoices {
  /** The open workspace first, then launch, demo, recent and root ones, each once. */
  workspaces: KnownWorkspace[];
  /** Where workspace.create makes new workspaces; null when the shell was started without one. */
  createRoot: string | null;
}

export interface WorkspaceOpenParams {
  /** A KnownWorkspace id from workspace.recent. */
  id: string;
}

export interface WorkspaceCreateParams {
  /** Folder name under the workspaces root: letters, digits, '.', '_' and '-'. */
  name: string;
}

/** Sent to every renderer once another workspace is open: their state belongs to the old one. */
export interface WorkspaceOpenedEvent {
  type: 'workspace.opened';
  root: string;
}
