// Training checkpoints: every SAE's parameters, Adam moments and firing counters as tensors of one
// safetensors file, and everything else (run config, step, data position, RNG states, normalisation)
// as JSON in its metadata. The file is written to a temporary sibling, fsynced and renamed, so a
// crash or kill -9 at any instant leaves either the previous checkpoint or the new one, whole.
import { existsSync } from 'node:fs';
import { openSafetensors, writeSafetensors, type SafetensorsFile, type TensorToWrite } from '../io/safetensors.js';
import type { SaeParamArrays, SaeTrainState } from '../sae/api.js';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
const META_KEY = 'sae_explorer_checkpoint';
// Version 2 added mseScale (the top-k family's loss changed with it): version 1 checkpoints cannot continue exactly.
const FORMAT_VERSION = 2;
const PARAM_NAMES: Array<keyof SaeParamArrays> = ['W_enc', 'b_enc', 'W_dec', 'b_dec'];

/** SaeTrainState without its arrays, stored as JSON. */
type SaeScalars = Omit<SaeTrainState, 'params' | 'adamM' | 'adamV' | 'tokensSinceFired' | 'firingCounts' | 'extra'> & { extraNames?: string[] };

interface StoredMeta<M> {
  version: number;
  run: M;
  saes: SaeScalars[];
}

function f32(data: Float32Array): TensorToWrite {
  return { dtype: 'F32', shape: [data.length], data };
}

/** Writes `run` (any JSON) and the SAEs' states to `file`, atomically. */
export function writeCheckpoint<M>(file: string, run: M, states: SaeTrainState[]): void {
  const tensors: Record<string, TensorToWrite> = {};
  const saes: SaeScalars[] = [];
  states.forEach((s, i) => {
    for (const name of PARAM_NAMES) {
      tensors[`sae${i}.params.${name}`] = f32(s.params[name]);
      tensors[`sae${i}.adamM.${name}`] = f32(s.adamM[name]);
      tensors[`sae${i}.adamV.${name}`] = f32(s.adamV[name]);
    }
    tensors[`sae${i}.tokensSinceFired`] = f32(s.tokensSinceFired);
    tensors[`sae${i}.firingCounts`] = f32(s.firingCounts);
    const extraNames = Object.keys(s.extra ?? {});
    for (const name of extraNames) tensors[`sae${i}.extra.${name}`] = f32(s.extra![name]);
    saes.push({ config: s.config, step: s.step, tokensSeen: s.tokensSeen, threshold: s.threshold, mseScale: s.mseScale, ...(extraNames.length ? { extraNames } : {}) });
  });
  writeTensorCheckpoint(file, { run, saes } satisfies Omit<StoredMeta<M>, 'version'>, tensors);
}

/** Writes any trainer's checkpoint atomically: float tensors, and `meta` (any JSON) in the header. */
export function writeTensorCheckpoint(file: string, meta: object, tensors: Record<string, TensorToWrite>): void {
  writeSafetensors(file, tensors, { [META_KEY]: JSON.stringify({ version: FORMAT_VERSION, ...meta }) });
}

/** Opens a checkpoint written by writeTensorCheckpoint: its meta and the file to read tensors from. */
export function readTensorCheckpoint<T>(file: string): { meta: T; tensors: SafetensorsFile } {
  if (!existsSync(file)) throw new Error(`no checkpoint at ${file}: nothing to resume (run without --resume to start fresh)`);
  const st = openSafetensors(file);
  const text = st.metadata[META_KEY];
  if (!text) throw new Error(`${file} is a safetensors file but not a training checkpoint (no "${META_KEY}" metadata)`);
  const meta = JSON.parse(text) as T & { version: number };
  if (meta.version !== FORMAT_VERSION) throw new Error(`${file}: checkpoint format version ${meta.version}, this build reads version ${FORMAT_VERSION}`);
  return { meta, tensors: st };
}

export interface Checkpoint<M> {
  run: M;
  states: SaeTrainState[];
}

/** Reads a checkpoint written by writeCheckpoint; errors name the file and what is wrong with it. */
export function readCheckpoint<M>(file: string): Checkpoint<M> {
  const { meta, tensors: st } = readTensorCheckpoint<StoredMeta<M>>(file);
  const arrays = (prefix: string): SaeParamArrays =>
    Object.fromEntries(PARAM_NAMES.map((name) => [name, st.getFloat32(`${prefix}.${name}`)])) as unknown as SaeParamArrays;
  const states = meta.saes.map(({ extraNames, ...scalars }, i) => ({
    ...scalars,
    ...(extraNames ? { extra: Object.fromEntries(extraNames.map((name) => [name, st.getFloat32(`sae${i}.extra.${name}`)])) } : {}),
    params: arrays(`sae${i}.params`),
    adamM: arrays(`sae${i}.adamM`),
    adamV: arrays(`sae${i}.adamV`),
    tokensSinceFired: st.getFloat32(`sae${i}.tokensSinceFired`),
    firingCounts: st.getFloat32(`sae${i}.firingCounts`),
  }));
  return { run: meta.run, states };
}
