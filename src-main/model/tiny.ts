// Generates a small GPT-2 with seeded random weights as a complete Hugging Face model folder
// (config.json, model.safetensors, tokenizer files), for tests and demos. Same options, same bytes.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { makeTempSiblingDir, replaceDirAtomic, writeJsonAtomic } from '../io/atomic.js';
import { writeSafetensors, type TensorToWrite } from '../io/safetensors.js';
import { writeTokenizerFiles } from '../tokenizer/files.js';
import { toHfConfigJson, type Gpt2Config } from './config.js';
import { fillNormal, seededRandom } from '../../src-shared/random.js';
import { expectedShapes } from './weights.js';

export interface TinyModelOptions {
  /** Transformer blocks; default 2. */
  layers?: number;
  /** Residual width d_model; default 64. */
  dModel?: number;
  /** Attention heads, dividing dModel; default 4. */
  heads?: number;
  /** Context length in tokens (n_positions); default 128. */
  ctx?: number;
  /** Seed of the weight generator, 0..2^32-1; default 0. */
  seed?: number;
  /** Replace a non-empty output folder; default false (refuse). */
  overwrite?: boolean;
}

const DEFAULTS: Required<TinyModelOptions> = { layers: 2, dModel: 64, heads: 4, ctx: 128, seed: 0, overwrite: false };

/** Validates the options (unknown keys are an error) and fills in the defaults. */
export function parseTinyModelOptions(options: TinyModelOptions): Required<TinyModelOptions> {
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULTS)) throw new Error(`createTinyModel: unknown option "${key}" (expected ${Object.keys(DEFAULTS).join(', ')})`);
  }
  const o = { ...DEFAULTS, ...options };
  for (const key of ['layers', 'dModel', 'heads', 'ctx'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new Error(`createTinyModel: ${key} must be a positive integer, got ${o[key]}`);
  }
  if (o.dModel % o.heads !== 0) throw new Error(`createTinyModel: dModel (${o.dModel}) must be divisible by heads (${o.heads})`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed >= 2 ** 32) throw new Error(`createTinyModel: seed must be an integer in 0..4294967295, got ${o.seed}`);
  return o;
}

/** A model's vocabulary: its size and the id of <|endoftext|>, its BOS and EOS. */
export interface VocabShape {
  vocabSize: number;
  eotId: number;
}

/** GPT-2's: 50,257 tokens, <|endoftext|> the last. */
export const GPT2_VOCAB: VocabShape = { vocabSize: 50257, eotId: 50256 };

/** GPT-2's defaults at the given size, with GPT-2's vocabulary or another (a fitted BPE's). */
export function tinyGpt2Config(o: Required<TinyModelOptions>, vocab: VocabShape = GPT2_VOCAB): Gpt2Config {
  if (!Number.isInteger(vocab.vocabSize) || vocab.vocabSize < 1 || !Number.isInteger(vocab.eotId) || vocab.eotId < 0 || vocab.eotId >= vocab.vocabSize) {
    throw new Error(`tinyGpt2Config: vocabulary of ${vocab.vocabSize} tokens with <|endoftext|> at ${vocab.eotId} is invalid; expected a positive integer size and an id below it`);
  }
  return {
    nLayer: o.layers,
    nEmbd: o.dModel,
    nHead: o.heads,
    nInner: 4 * o.dModel,
    nPositions: o.ctx,
    vocabSize: vocab.vocabSize,
    layerNormEpsilon: 1e-5,
    activationFunction: 'gelu_new',
    eosTokenId: vocab.eotId,
    bosTokenId: vocab.eotId,
  };
}

/**
 * Weights drawn as Hugging Face's GPT2PreTrainedModel._init_weights does: normal(0, 0.02) for
 * embeddings and linear weights, with residual projections (c_proj) scaled by 1/sqrt(2·n_layer);
 * zero biases; LayerNorm weight 1, bias 0. Names as in the Hub's gpt2 repo (no `transformer.`).
 */
export function randomGpt2Tensors(c: Gpt2Config, seed: number): Map<string, { shape: number[]; data: Float32Array }> {
  const uniform = seededRandom(seed);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of expectedShapes(c)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (/ln_(1|2|f)\.weight$/.test(name)) data.fill(1);
    else if (name.endsWith('.weight')) fillNormal(data, name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(2 * c.nLayer) : 0.02, uniform);
    tensors.set(name, { shape, data });
  }
  return tensors;
}

/** Writes the folder atomically (built beside `outDir`, then renamed) and returns its absolute path. */
export function createTinyModel(outDir: string, options: TinyModelOptions = {}): string {
  const o = parseTinyModelOptions(options);
  const target = path.resolve(outDir);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new Error(`${target} exists and is not a folder; choose another output path`);
    if (readdirSync(target).length > 0 && !o.overwrite) {
      throw new Error(`${target} is not empty; refusing to overwrite it (--force replaces it)`);
    }
  }
  mkdirSync(path.dirname(target), { recursive: true });
  const config = tinyGpt2Config(o);
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of randomGpt2Tensors(config, o.seed)) tensors[name] = { dtype: 'F32', ...t };
  const tmp = makeTempSiblingDir(target);
  try {
    writeJsonAtomic(path.join(tmp, 'config.json'), toHfConfigJson(config));
    writeSafetensors(path.join(tmp, 'model.safetensors'), tensors, { format: 'pt' });
    writeTokenizerFiles(tmp, { modelMaxLength: o.ctx });
    replaceDirAtomic(tmp, target);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return target;
}
