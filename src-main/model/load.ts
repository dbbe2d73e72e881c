// Loads a Hugging Face GPT-2 folder: config.json plus model.safetensors (or the sharded
// model.safetensors.index.json layout that large checkpoints use).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openSafetensors, type SafetensorsFile } from '../io/safetensors.js';
import { parseGpt2Config, type Gpt2Config } from './config.js';
import { Gpt2 } from './gpt2.js';
import { weightsFromSource, type Gpt2Weights, type TensorSource } from './weights.js';

export function readGpt2Config(dir: string): Gpt2Config {
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) throw new Error(`${file}: not found; a GPT-2 model folder needs config.json and model.safetensors`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  return parseGpt2Config(json, file);
}

/** Shards listed by model.safetensors.index.json, seen as one source. */
function shardedSource(indexFile: string): TensorSource {
  let index: { weight_map?: Record<string, string> };
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (err) {
    throw new Error(`${indexFile}: not valid JSON: ${(err as Error).message}`);
  }
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null) throw new Error(`${indexFile}: missing "weight_map" (tensor name -> shard file)`);
  const shards = new Map<string, SafetensorsFile>();
  for (const shard of new Set(Object.values(map))) {
    const file = path.join(path.dirname(indexFile), shard);
    if (path.basename(shard) !== shard) throw new Error(`${indexFile}: shard "${shard}" must be a file name in the same folder`);
    shards.set(shard, openSafetensors(file));
  }
  const fileOf = (name: string): SafetensorsFile => {
    const file = shards.get(map[name]);
    if (!file || !file.names().includes(name)) throw new Error(`${indexFile}: tensor "${name}" is not in its shard "${map[name]}"`);
    return file;
  };
  return {
    names: () => Object.keys(map),
    info: (name) => fileOf(name).info(name),
    getFloat32: (name) => fileOf(name).getFloat32(name),
  };
}

function openWeights(dir: string): { source: TensorSource; label: string } {
  const single = path.join(dir, 'model.safetensors');
  if (existsSync(single)) return { source: openSafetensors(single), label: single };
  const index = path.join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) return { source: shardedSource(index), label: index };
  if (existsSync(path.join(dir, 'pytorch_model.bin'))) {
    throw new Error(
      `${dir}: has only pytorch_model.bin, a pickle this app does not read; download the model.safetensors ` +
        `that the Hub offers for every GPT-2 size, or convert it with transformers (save_pretrained(safe_serialization=True))`,
    );
  }
  throw new Error(`${single}: not found; a GPT-2 model folder needs config.json and model.safetensors`);
}

/** The config and weights of the GPT-2 in `dir`, every tensor checked against config.json before any is uploaded. */
export function loadGpt2Weights(dir: string): { config: Gpt2Config; weights: Gpt2Weights } {
  const config = readGpt2Config(dir);
  const { source, label } = openWeights(dir);
  return { config, weights: weightsFromSource(config, source, label) };
}

/** Loads the GPT-2 in `dir`. */
export async function loadGpt2(dir: string): Promise<Gpt2> {
  const { config, weights } = loadGpt2Weights(dir);
  return new Gpt2(config, weights);
}
