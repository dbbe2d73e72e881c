// Writes a trained model as an ordinary Hugging Face GPT-2 folder: config.json, model.safetensors
// (GPT-2's tensor names, Conv1D weights [in, out], the tied lm_head not stored), the tokenizer files
// and generation_config.json — what loadGpt2 here and GPT2LMHeadModel.from_pretrained read; and
// rewrites such a folder with its weights stored in another dtype (F16 to ship it at half the size).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fsyncDir, makeTempSiblingDir, replaceDirAtomic, writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import { writeSafetensors, type TensorToWrite } from '../io/safetensors.js';
import { toHfConfigJson, type Gpt2Config } from '../model/config.js';
import { loadGpt2Weights } from '../model/load.js';
import { disposeGpt2Weights, namedWeights } from '../model/weights.js';
import { writeTokenizerFiles } from '../tokenizer/files.js';
import type { HostTensors } from './params.js';
import { listSnapshots, SNAPSHOTS_DIR } from './snapshots.js';

/** Tokenizer files a Hugging Face GPT-2 folder may carry, copied from the model a run continues. */
const TOKENIZER_FILES = ['vocab.json', 'merges.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

export interface ExportOptions {
  /** The folder the run continued from: its tokenizer files are copied. Default: GPT-2's tokenizer. */
  tokenizerFrom?: string;
  /**
   * A folder with a fitted BPE's vocab.json and merges.txt (lm tokenizer's) for a model trained from
   * scratch on it: those are copied and tokenizer_config.json written for the model's context.
   * Default: GPT-2's tokenizer. Not with tokenizerFrom.
   */
  tokenizer?: string;
  /** How model.safetensors stores the weights (F16 halves the file). Default F32. */
  dtype?: 'F32' | 'F16';
}

const TORCH_DTYPES = { F32: 'float32', F16: 'float16' } as const;

/**
 * Writes the folder's files into the existing `dir`, each atomically, model.safetensors last: a
 * folder that has model.safetensors is complete.
 */
export function writeGpt2Files(dir: string, config: Gpt2Config, tensors: HostTensors, options: ExportOptions = {}): void {
  if (options.tokenizerFrom !== undefined && options.tokenizer !== undefined) {
    throw new Error(`writeGpt2Files: tokenizerFrom (${options.tokenizerFrom}) and tokenizer (${options.tokenizer}) are exclusive; a model has one vocabulary`);
  }
  const copied = (options.tokenizerFrom ? TOKENIZER_FILES : []).filter((name) => existsSync(path.join(options.tokenizerFrom!, name)));
  if (copied.length > 0) for (const name of copied) writeFileAtomic(path.join(dir, name), readFileSync(path.join(options.tokenizerFrom!, name)));
  else writeTokenizerFiles(dir, { modelMaxLength: config.nPositions, from: options.tokenizer });
  writeJsonAtomic(path.join(dir, 'generation_config.json'), { _from_model_config: true, bos_token_id: config.bosTokenId, eos_token_id: config.eosTokenId, transformers_version: '4.46.0' });
  const dtype = options.dtype ?? 'F32';
  writeJsonAtomic(path.join(dir, 'config.json'), { ...toHfConfigJson(config), torch_dtype: TORCH_DTYPES[dtype] });
  const named: Record<string, TensorToWrite> = {};
  for (const [name, t] of tensors) named[name] = { dtype, shape: t.shape, data: t.data };
  writeSafetensors(path.join(dir, 'model.safetensors'), named, { format: 'pt' });
}

/** The same as a whole new folder `target`, built beside it and renamed into place. */
export function writeGpt2Folder(target: string, config: Gpt2Config, tensors: HostTensors, options: ExportOptions = {}): void {
  const tmp = makeTempSiblingDir(target);
  try {
    writeGpt2Files(tmp, config, tensors, options);
    replaceDirAtomic(tmp, target);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Files of a model folder besides weights and tokenizer that a converted copy keeps as they are. */
const KEPT_FILES = ['generation_config.json', 'lm_training.json'];
/** The largest finite F16 value. */
const F16_MAX = 65504;

export interface ConvertOptions {
  /** Written into the new folder as provenance.json (where it came from, for listings). */
  provenance?: Record<string, unknown>;
  /** Checked once the weights are read and before the folder is moved into place. */
  signal?: AbortSignal;
  /** Also convert the source's snapshots (`lm train --keep-at`, snapshots/step-N/) into the new folder, each to the same dtype. Default false. */
  withSnapshots?: boolean;
}

/**
 * Rewrites the GPT-2 folder `source` as a new folder `target` whose model.safetensors stores the
 * weights as `dtype`: config.json is kept (its torch_dtype updated), as are the tokenizer files,
 * generation_config.json and a run's lm_training.json. Built beside `target` and renamed into place
 * only while `target` is still free, so a failure or a cancel leaves nothing and nothing is ever
 * replaced. With `withSnapshots`, the snapshots are converted inside the new folder before it is
 * moved into place, so the folder appears with all of them or not at all. Returns the size of the
 * new model.safetensors and the names of the snapshots converted.
 */
export function convertGpt2Folder(source: string, target: string, dtype: 'F32' | 'F16', options: ConvertOptions = {}): { bytes: number; snapshots: string[] } {
  const taken = (): Error => new Error(`${target} already exists; choose a new folder (the conversion never overwrites)`);
  if (existsSync(target)) throw taken();
  const { config, weights } = loadGpt2Weights(source);
  const tensors: HostTensors = new Map();
  try {
    for (const [name, t] of namedWeights(weights)) tensors.set(name, { shape: t.shape, data: t.dataSync() as Float32Array });
  } finally {
    disposeGpt2Weights(weights);
  }
  if (dtype === 'F16') {
    for (const [name, { data }] of tensors) {
      const i = data.findIndex((x) => Math.abs(x) > F16_MAX);
      if (i >= 0) throw new Error(`${source}: tensor "${name}" holds ${data[i]} at index ${i}, beyond F16's largest value ${F16_MAX}; keep this model F32`);
    }
  }
  const tmp = makeTempSiblingDir(target);
  try {
    writeGpt2Files(tmp, config, tensors, { tokenizerFrom: source, dtype });
    const hfConfig = JSON.parse(readFileSync(path.join(source, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeJsonAtomic(path.join(tmp, 'config.json'), { ...hfConfig, torch_dtype: TORCH_DTYPES[dtype] });
    for (const name of KEPT_FILES) if (existsSync(path.join(source, name))) writeFileAtomic(path.join(tmp, name), readFileSync(path.join(source, name)));
    if (options.provenance) writeJsonAtomic(path.join(tmp, 'provenance.json'), options.provenance);
    const snapshots = options.withSnapshots ? listSnapshots(source) : [];
    if (snapshots.length > 0) mkdirSync(path.join(tmp, SNAPSHOTS_DIR));
    for (const snapshot of snapshots) {
      options.signal?.throwIfAborted();
      convertGpt2Folder(snapshot.dir, path.join(tmp, SNAPSHOTS_DIR, snapshot.name), dtype);
    }
    const bytes = statSync(path.join(tmp, 'model.safetensors')).size;
    options.signal?.throwIfAborted();
    // Made while the weights were written: it stays as it is. (A rename would also replace an empty folder.)
    if (existsSync(target)) throw taken();
    renameSync(tmp, target);
    fsyncDir(path.dirname(path.resolve(target)));
    return { bytes, snapshots: snapshots.map((snapshot) => snapshot.name) };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
