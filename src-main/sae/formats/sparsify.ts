// EleutherAI sparsify's hookpoint folder: cfg.json (SparseCoderConfig + d_in) and sae.safetensors with
// encoder.weight [n, d], encoder.bias [n], W_dec [n, d], b_dec [d]. sparsify encodes
// TopK(ReLU(encoder(x − b_dec))) and decodes W_decᵀ z + b_dec — a SAELens topk SAE with
// W_enc = encoder.weightᵀ, b_enc = encoder.bias and b_dec subtracted from the input.
//
// Hookpoints are module paths of the Hugging Face model whose *output* is read: GPT-2's `h.8` (or
// `transformer.h.8`, `layers.8`) is block 8's output = `blocks.8.hook_resid_post`; `h.8.mlp` is
// `blocks.8.hook_mlp_out`; `h.8.attn` is `blocks.8.hook_attn_out`. Other hookpoints keep their name,
// with a warning, and need a --hook override before they can run on a model.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../../io/atomic.js';
import { openSafetensors, writeSafetensors, type TensorToWrite } from '../../io/safetensors.js';
import { constantScale, type SaeBundle } from '../types.js';
import { foldScale } from './saelens.js';
import { f32, readJsonFile, readTensor, transpose, writeFolderAtomic } from './tensor-io.js';
import { checkBundleFinite, validateBundle } from './validate.js';

export const SPARSIFY_CFG = 'cfg.json';
export const SPARSIFY_WEIGHTS = 'sae.safetensors';

export type Warn = (message: string) => void;

export interface SparsifyLoadOptions {
  /** Hookpoint to map to a hook name; default: the folder's name, as sparsify names it. */
  hookpoint?: string;
  /** Model name when the run's config.json does not say. */
  modelName?: string;
  onWarning?: Warn;
}

const MODULE_PREFIX = String.raw`^(?:transformer\.|model\.|gpt_neox\.)?(?:h|layers)\.(\d+)`;
const HOOKPOINTS: Array<[RegExp, string]> = [
  [new RegExp(`${MODULE_PREFIX}$`), 'hook_resid_post'],
  [new RegExp(`${MODULE_PREFIX}\\.mlp$`), 'hook_mlp_out'],
  [new RegExp(`${MODULE_PREFIX}\\.(?:attn|self_attn|attention)$`), 'hook_attn_out'],
];

/** TransformerLens hook name of a sparsify hookpoint, or undefined when it is not one we know. */
export function hookNameOfHookpoint(hookpoint: string): string | undefined {
  for (const [pattern, hook] of HOOKPOINTS) {
    const match = pattern.exec(hookpoint);
    if (match) return `blocks.${match[1]}.${hook}`;
  }
  return undefined;
}

/** The GPT-2 (HF GPT2Model) module whose output is this hook, for export; throws for hooks no module outputs. */
export function hookpointOfHookName(hookName: string): string {
  const match = /^blocks\.(\d+)\.(hook_resid_post|hook_resid_pre|hook_mlp_out|hook_attn_out)$/.exec(hookName);
  if (match) {
    const layer = Number(match[1]);
    switch (match[2]) {
      case 'hook_resid_post': return `h.${layer}`;
      case 'hook_mlp_out': return `h.${layer}.mlp`;
      case 'hook_attn_out': return `h.${layer}.attn`;
      case 'hook_resid_pre': if (layer > 0) return `h.${layer - 1}`;
    }
  }
  throw new Error(`hook "${hookName}" is not the output of a Hugging Face GPT-2 module, so sparsify cannot hook it; sparsify export supports blocks.L.hook_resid_post, hook_mlp_out, hook_attn_out and hook_resid_pre (L ≥ 1)`);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function readCfg(cfgFile: string): { dIn: number; dSae: number; k: number } {
  const raw = readJsonFile(cfgFile);
  if (!isObject(raw)) throw new Error(`${cfgFile}: expected a JSON object`);
  const int = (field: string, min: number): number => {
    const value = raw[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new Error(`${cfgFile}: "${field}" must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
    return value;
  };
  if (raw.transcode === true) throw new Error(`${cfgFile}: this is a transcoder (transcode: true), which predicts a module's output from its input; only autoencoders can be imported`);
  if (raw.skip_connection === true) throw new Error(`${cfgFile}: skip_connection (W_skip) SAEs are not supported`);
  if (raw.activation !== undefined && raw.activation !== 'topk') throw new Error(`${cfgFile}: activation ${JSON.stringify(raw.activation)} is not supported; only "topk"`);
  const dIn = int('d_in', 1);
  const numLatents = raw.num_latents === undefined ? 0 : int('num_latents', 0);
  // sparsify: num_latents when non-zero, else d_in × expansion_factor.
  const dSae = numLatents > 0 ? numLatents : dIn * int('expansion_factor', 1);
  const k = int('k', 1);
  if (k > dSae) throw new Error(`${cfgFile}: k = ${k} exceeds the ${dSae} latents`);
  return { dIn, dSae, k };
}

/** The run-level config.json next to the hookpoint folders, for the model name and context length. */
function readRunConfig(dir: string): Json {
  const file = path.join(path.dirname(path.resolve(dir)), 'config.json');
  if (!existsSync(file)) return {};
  try {
    const raw = readJsonFile(file);
    return isObject(raw) ? raw : {};
  } catch {
    return {};
  }
}

/** Reads one sparsify hookpoint folder. */
export function loadSparsify(dir: string, opts: SparsifyLoadOptions = {}): SaeBundle {
  const cfgFile = path.join(dir, SPARSIFY_CFG);
  const weightsFile = path.join(dir, SPARSIFY_WEIGHTS);
  if (!existsSync(cfgFile)) throw new Error(`${dir}: no ${SPARSIFY_CFG}; a sparsify hookpoint folder holds ${SPARSIFY_CFG} and ${SPARSIFY_WEIGHTS}`);
  const { dIn, dSae, k } = readCfg(cfgFile);
  if (!existsSync(weightsFile)) throw new Error(`${dir}: ${SPARSIFY_CFG} is there but ${SPARSIFY_WEIGHTS} is missing`);
  const file = openSafetensors(weightsFile);
  if (file.names().includes('W_skip')) throw new Error(`${weightsFile}: has W_skip (a skip connection), which is not supported`);
  const why = `num_latents × d_in from ${SPARSIFY_CFG}`;
  const encoderWeight = readTensor(file, 'encoder.weight', [dSae, dIn], why);
  const hookpoint = opts.hookpoint ?? path.basename(path.resolve(dir));
  let hookName = hookNameOfHookpoint(hookpoint);
  if (!hookName) {
    hookName = hookpoint;
    (opts.onWarning ?? ((m: string) => process.emitWarning(m)))(
      `sparsify hookpoint "${hookpoint}" does not map to a TransformerLens hook name; keeping it as is (pass a hook name to override)`,
    );
  }
  const run = readRunConfig(dir);
  const bundle: SaeBundle = {
    spec: {
      architecture: 'topk',
      dIn,
      dSae,
      k,
      normalizeActivations: 'none',
      applyBDecToInput: true,
      modelName: typeof run.model === 'string' ? run.model : (opts.modelName ?? 'unknown'),
      hookName,
      // sparsify's default ctx_len; GPT-2's tokenizer adds no BOS.
      contextSize: typeof run.ctx_len === 'number' ? run.ctx_len : 2048,
      prependBos: false,
      ...(typeof run.dataset === 'string' ? { datasetPath: run.dataset } : {}),
    },
    weights: {
      W_enc: transpose(encoderWeight, dSae, dIn),
      b_enc: readTensor(file, 'encoder.bias', [dSae], `num_latents from ${SPARSIFY_CFG}`),
      W_dec: readTensor(file, 'W_dec', [dSae, dIn], why),
      b_dec: readTensor(file, 'b_dec', [dIn], `d_in from ${SPARSIFY_CFG}`),
    },
  };
  validateBundle(bundle);
  return bundle;
}

/** Within this of 1, a decoder row counts as unit norm (float32 training keeps them to ~1e-6). */
const UNIT_NORM_TOLERANCE = 1e-4;

function unitDecoderRows(W_dec: Float32Array, dSae: number, dIn: number): boolean {
  for (let i = 0; i < dSae; i++) {
    let sq = 0;
    for (let d = 0; d < dIn; d++) sq += W_dec[i * dIn + d] ** 2;
    if (Math.abs(Math.sqrt(sq) - 1) > UNIT_NORM_TOLERANCE) return false;
  }
  return true;
}

/**
 * Why sparsify cannot hold this SAE, or null when it can. sparsify computes
 * TopK(ReLU(encoder(x − b_dec))) and W_decᵀz + b_dec on the raw activation x, for every token alike.
 * So: only per-token top-k SAEs (topk, or batchtopk run without a threshold, which this app then
 * runs as per-token top-k); and only inputs scaled by one dataset-wide factor or not at all. layer_norm
 * (x − mean(x)) / std(x) and constant_norm_rescale x · √d_in / ‖x‖ scale each token by its own
 * statistics and undo that after decoding: no fixed weights reproduce a scale that depends on x.
 */
export function sparsifyRefusal(bundle: SaeBundle): string | null {
  const { spec, weights } = bundle;
  const perTokenTopK = spec.architecture === 'topk' || (spec.architecture === 'batchtopk' && !weights.threshold);
  if (!perTokenTopK) {
    const what = spec.architecture === 'batchtopk' ? 'batchtopk with a learned threshold (a JumpReLU at inference)' : spec.architecture;
    return `sparsify stores only per-token top-k SAEs (TopK(ReLU(·))); this SAE is ${what}: export it as saelens instead`;
  }
  if (spec.normalizeActivations === 'layer_norm' || spec.normalizeActivations === 'constant_norm_rescale') {
    const how = spec.normalizeActivations === 'layer_norm' ? 'by its own mean and standard deviation (layer_norm)' : 'to norm √d_in by its own norm (constant_norm_rescale)';
    return `sparsify encodes the raw activation with fixed weights, but this SAE scales each token ${how} before encoding and undoes it after decoding; no weights reproduce a scale that depends on the token: export it as saelens instead`;
  }
  return null;
}

/**
 * The sparsify hookpoint folder of `bundle`: its hookpoint (the folder's name), cfg.json and the
 * tensors of sae.safetensors. What sparsify does differently is folded into the weights, exactly:
 * an `expected_average_only_in` factor f (W_enc·f, W_dec/f, b_dec/f, as SAELens folds it), and
 * apply_b_dec_to_input false (encoder.bias = b_enc + W_encᵀ b_dec, since sparsify always subtracts
 * b_dec). Throws with sparsifyRefusal's reason, or the hook's, when sparsify cannot hold it.
 */
export function sparsifyFolder(bundle: SaeBundle): { hookpoint: string; cfg: Record<string, unknown>; tensors: Record<string, TensorToWrite> } {
  validateBundle(bundle);
  checkBundleFinite(bundle);
  const refusal = sparsifyRefusal(bundle);
  if (refusal) throw new Error(refusal);
  const { spec } = bundle;
  const hookpoint = hookpointOfHookName(spec.hookName);
  const { dIn, dSae } = spec;
  const w = foldScale(bundle.weights, constantScale(spec));
  let encoderBias = w.b_enc;
  if (!spec.applyBDecToInput) {
    encoderBias = new Float32Array(dSae);
    for (let i = 0; i < dSae; i++) {
      let sum = w.b_enc[i];
      for (let d = 0; d < dIn; d++) sum += w.W_enc[d * dSae + i] * w.b_dec[d];
      encoderBias[i] = sum;
    }
  }
  const cfg = {
    activation: 'topk',
    // num_latents wins when non-zero; expansion_factor is kept for readers that show it.
    expansion_factor: dSae % dIn === 0 ? dSae / dIn : 32,
    // sparsify keeps decoder rows at unit norm while it trains when this is set; say so only when they are.
    normalize_decoder: unitDecoderRows(w.W_dec, dSae, dIn),
    num_latents: dSae,
    k: spec.k,
    multi_topk: false,
    skip_connection: false,
    transcode: false,
    d_in: dIn,
  };
  const tensors = {
    'encoder.weight': f32([dSae, dIn], transpose(w.W_enc, dIn, dSae)),
    'encoder.bias': f32([dSae], encoderBias),
    W_dec: f32([dSae, dIn], w.W_dec),
    b_dec: f32([dIn], w.b_dec),
  };
  return { hookpoint, cfg, tensors };
}

/** Writes `bundle` as a sparsify hookpoint folder `dir` (atomically); refuses as sparsifyFolder does. */
export function saveSparsify(dir: string, bundle: SaeBundle): void {
  const { cfg, tensors } = sparsifyFolder(bundle);
  writeFolderAtomic(dir, (tmp) => {
    writeSafetensors(path.join(tmp, SPARSIFY_WEIGHTS), tensors);
    writeJsonAtomic(path.join(tmp, SPARSIFY_CFG), cfg);
  });
}
