// SAELens's cfg.json, both ways. Reading accepts SAELens 6 (fields at the top, provenance under
// `metadata`) and the pre-6 layout (`hook_point`, `activation_fn_str`, `activation_fn_kwargs.k`, all at
// the top). Writing produces what SAELens 6 `SAE.save_model` writes, so `SAE.load_from_disk` takes it.
// A foreign cfg.json carries many training keys we have no use for; those are ignored, not errors.
import type { InputNormalization, SaeArchitecture, SaeSpec } from '../types.js';

/** The SAELens release whose cfg layout we write; must be ≥ 6 or SAELens re-reads it as a legacy cfg. */
export const SAELENS_FORMAT_VERSION = '6.18.0';

const NORMALIZATIONS: readonly InputNormalization[] = ['none', 'layer_norm', 'expected_average_only_in', 'constant_norm_rescale'];
const ARCHITECTURES: readonly SaeArchitecture[] = ['standard', 'topk', 'batchtopk', 'jumprelu', 'gated'];

/** Our own keys under metadata.sae_explorer: what SAELens's inference classes cannot say. */
interface ExplorerMetadata {
  /** The trained architecture when it differs from the saved one (batchtopk and matryoshka_batchtopk are saved as jumprelu or topk). */
  architecture?: SaeArchitecture | 'matryoshka_batchtopk';
  /** Matryoshka: every nested size of the dictionary, ascending (SaeSpec.matryoshkaPrefixes); d_sae is one of them. */
  matryoshka_prefixes?: number[];
  k?: number;
  /** expected_average_only_in factor folded into the weights on save (SAELens ignores the factor at run time). */
  norm_scaling_factor_folded?: number;
}

export interface SaeLensConfig {
  spec: SaeSpec;
  /** TopK SAEs saved with rescale_acts_by_decoder_norm: the loader folds decoder norms into the weights. */
  rescaleActsByDecoderNorm: boolean;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function positiveInt(file: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${file}: "${field}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function normalization(file: string, value: unknown): InputNormalization {
  // Pre-6 cfgs stored a boolean: true meant the April-2024 "expected_average_only_in" scaling.
  if (value === undefined || value === null || value === false) return 'none';
  if (value === true) return 'expected_average_only_in';
  if (typeof value === 'string' && (NORMALIZATIONS as readonly string[]).includes(value)) return value as InputNormalization;
  throw new Error(`${file}: "normalize_activations" is ${JSON.stringify(value)}; expected one of ${NORMALIZATIONS.join(', ')}`);
}

function architecture(file: string, raw: Json, explorer: ExplorerMetadata): SaeArchitecture {
  const arch = raw.architecture ?? 'standard';
  const activation = raw.activation_fn ?? raw.activation_fn_str;
  if (explorer.architecture === 'batchtopk' || explorer.architecture === 'matryoshka_batchtopk') return 'batchtopk';
  if (arch === 'standard' || arch === 'relu') {
    // Before SAELens 5 a top-k SAE was "standard" with activation_fn_str "topk".
    if (activation === 'topk') return 'topk';
    if (activation === undefined || activation === null || activation === 'relu') return 'standard';
    throw new Error(`${file}: activation function ${JSON.stringify(activation)} is not supported; expected "relu" or "topk"`);
  }
  if (typeof arch === 'string' && (ARCHITECTURES as readonly string[]).includes(arch)) return arch as SaeArchitecture;
  throw new Error(`${file}: "architecture" is ${JSON.stringify(arch)}; supported: ${ARCHITECTURES.join(', ')} (and legacy "relu")`);
}

function topK(file: string, raw: Json, explorer: ExplorerMetadata, arch: SaeArchitecture, dSae: number): number | undefined {
  const kwargs = isObject(raw.activation_fn_kwargs) ? raw.activation_fn_kwargs : {};
  const k = raw.k ?? kwargs.k ?? explorer.k;
  if (arch === 'topk') {
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > dSae) {
      throw new Error(`${file}: a topk SAE needs an integer "k" (or legacy activation_fn_kwargs.k) in 1..${dSae}, got ${JSON.stringify(k)}`);
    }
    return k;
  }
  if (arch === 'batchtopk' && k !== undefined) {
    // BatchTopK's k is an average over the batch, so SAELens allows a float.
    if (typeof k !== 'number' || !(k > 0) || k > dSae) throw new Error(`${file}: batchtopk "k" must be a number in (0, ${dSae}], got ${JSON.stringify(k)}`);
    return k;
  }
  return undefined;
}

/** Reads a parsed cfg.json (`file` is its path, for messages). */
export function parseSaeLensConfig(raw: unknown, file: string): SaeLensConfig {
  if (!isObject(raw)) throw new Error(`${file}: expected a JSON object`);
  const metadata = isObject(raw.metadata) ? raw.metadata : {};
  const explorer: ExplorerMetadata = isObject(metadata.sae_explorer) ? (metadata.sae_explorer as ExplorerMetadata) : {};
  // SAELens 6 keeps provenance under metadata; earlier versions kept it at the top.
  const field = (key: string): unknown => metadata[key] ?? raw[key];
  const dIn = positiveInt(file, 'd_in', raw.d_in);
  const dSae = positiveInt(file, 'd_sae', raw.d_sae);
  const hookName = field('hook_name') ?? raw.hook_point;
  if (typeof hookName !== 'string' || hookName === '') {
    throw new Error(`${file}: no hook name; expected metadata.hook_name (SAELens 6) or hook_name / hook_point (older SAELens)`);
  }
  const head = field('hook_head_index') ?? raw.hook_point_head_index;
  if (head !== undefined && head !== null) throw new Error(`${file}: SAEs on a single attention head (hook_head_index ${JSON.stringify(head)}) are not supported`);
  if (raw.reshape_activations !== undefined && raw.reshape_activations !== 'none') {
    throw new Error(`${file}: reshape_activations ${JSON.stringify(raw.reshape_activations)} is not supported; only "none" (GPT-2 hooks here have no hook_z)`);
  }
  const arch = architecture(file, raw, explorer);
  const k = topK(file, raw, explorer, arch, dSae);
  const prefixes = explorer.architecture === 'matryoshka_batchtopk' ? matryoshkaPrefixes(file, explorer.matryoshka_prefixes, dSae) : undefined;
  const contextSize = field('context_size');
  const datasetPath = field('dataset_path');
  const modelName = field('model_name');
  const spec: SaeSpec = {
    architecture: arch,
    dIn,
    dSae,
    ...(k !== undefined ? { k } : {}),
    normalizeActivations: normalization(file, raw.normalize_activations),
    applyBDecToInput: raw.apply_b_dec_to_input === undefined ? true : raw.apply_b_dec_to_input === true,
    modelName: typeof modelName === 'string' ? modelName : 'unknown',
    hookName,
    // SAELens's own defaults when a cfg leaves these out.
    contextSize: typeof contextSize === 'number' ? contextSize : 128,
    prependBos: field('prepend_bos') !== false,
    ...(typeof datasetPath === 'string' ? { datasetPath } : {}),
    ...(prefixes ? { matryoshkaPrefixes: prefixes } : {}),
  };
  return { spec, rescaleActsByDecoderNorm: raw.rescale_acts_by_decoder_norm === true };
}

function matryoshkaPrefixes(file: string, value: unknown, dSae: number): number[] {
  const valid = Array.isArray(value) && value.every((m, i) => Number.isInteger(m) && m >= 1 && (i === 0 || m > value[i - 1])) && value.includes(dSae);
  if (!valid) {
    throw new Error(`${file}: "metadata.sae_explorer.matryoshka_prefixes" is ${JSON.stringify(value)}; a Matryoshka SAE needs its nested sizes, ascending positive integers, d_sae = ${dSae} among them`);
  }
  return [...(value as number[])];
}

export interface SaveShape {
  /** The weights carry a threshold (jumprelu, or a batchtopk SAE with its learned threshold). */
  hasThreshold: boolean;
  /** expected_average_only_in factor that was folded into the weights, if any. */
  foldedScale?: number;
}

/** The architecture SAELens's inference classes know this SAE as: BatchTopK is saved as JumpReLU, as SAELens does. */
export function savedArchitecture(spec: SaeSpec, hasThreshold: boolean): Exclude<SaeArchitecture, 'batchtopk'> {
  if (spec.architecture !== 'batchtopk') return spec.architecture;
  return hasThreshold ? 'jumprelu' : 'topk';
}

/** cfg.json as SAELens 6 writes it, plus our keys under metadata.sae_explorer. */
export function buildSaeLensConfig(spec: SaeSpec, shape: SaveShape): Json {
  const arch = savedArchitecture(spec, shape.hasThreshold);
  const explorer: ExplorerMetadata = {};
  if (spec.architecture === 'batchtopk') explorer.architecture = spec.matryoshkaPrefixes ? 'matryoshka_batchtopk' : 'batchtopk';
  if (spec.matryoshkaPrefixes) explorer.matryoshka_prefixes = spec.matryoshkaPrefixes;
  if (spec.k !== undefined && arch !== 'topk') explorer.k = spec.k;
  if (shape.foldedScale !== undefined) explorer.norm_scaling_factor_folded = shape.foldedScale;
  return {
    d_in: spec.dIn,
    d_sae: spec.dSae,
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: spec.applyBDecToInput,
    normalize_activations: shape.foldedScale !== undefined ? 'none' : spec.normalizeActivations,
    reshape_activations: 'none',
    ...(arch === 'topk' ? { k: spec.k, rescale_acts_by_decoder_norm: false } : {}),
    metadata: {
      sae_lens_version: SAELENS_FORMAT_VERSION,
      // Not trained by SAELens; provenance is under sae_explorer instead of a made-up version.
      sae_lens_training_version: null,
      model_name: spec.modelName,
      model_class_name: 'HookedTransformer',
      hook_name: spec.hookName,
      hook_head_index: null,
      context_size: spec.contextSize,
      prepend_bos: spec.prependBos,
      dataset_path: spec.datasetPath ?? null,
      neuronpedia_id: null,
      sae_explorer: { format_version: 1, ...explorer },
    },
    architecture: arch,
  };
}
