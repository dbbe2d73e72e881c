// The train form's fields as typed text, their defaults (Gao et al. 2024's recipe: residual stream
// two thirds of the way up, k = 32, a few dictionary sizes trained together, lr scaled with size)
// and the one function that turns them into TrainParams or per-field messages.
import type { ModelEntry, TrainArchitecture, TrainParams } from '../../../src-shared/api.js';
import { blockHook, parseHookName } from '../../../src-shared/hooks.js';

export interface TrainFormValues {
  model: string;
  dataset: string;
  hook: string;
  /** Dictionary sizes, comma or space separated. */
  sizes: string;
  k: string;
  tokens: string;
  /** Empty = the trainer's default (4096 tokens per step). */
  batch: string;
  /** Empty = auto: 2e-4 / √(d_sae / 2^14) per size. */
  lr: string;
  /** Held-out tokens for the final evals; empty = the trainer's default (16384), 0 skips them. */
  evalTokens: string;
  family: string;
  arch: TrainArchitecture;
  /** Earlier checkpoints of the model (workspace model ids), comma or space separated; empty = a family of sizes. */
  checkpoints: string;
}

export type TrainFormErrors = Partial<Record<keyof TrainFormValues, string>>;

export type TrainFormResult = { ok: true; params: TrainParams } | { ok: false; errors: TrainFormErrors };

export const EMBEDDED_DATASET = 'embedded:sotu';
const ENTRY_NAME = /^[A-Za-z0-9][\w.-]*$/;

/** Gao et al. train on GPT-2 small's layer 8 of 12; the same relative depth on any model. */
export function defaultLayer(nLayers: number): number {
  return Math.max(0, Math.min(nLayers - 1, Math.round((2 * nLayers) / 3)));
}

/** `base`, or `base-2`, `base-3`, … whichever is not taken yet (a trailing -N of `base` is replaced). */
export function freeFamilyName(base: string, existingFamilies: readonly string[]): string {
  const stem = base.replace(/-\d+$/, '');
  let family = base;
  for (let n = 2; existingFamilies.includes(family); n++) family = `${stem}-${n}`;
  return family;
}

export function defaultTrainForm(model: ModelEntry | undefined, existingFamilies: readonly string[]): TrainFormValues {
  const layer = model ? defaultLayer(model.nLayers) : 0;
  const width = model?.dModel ?? 768;
  const family = freeFamilyName(`layer${layer}-topk`, existingFamilies);
  return {
    model: model?.id ?? '',
    dataset: EMBEDDED_DATASET,
    hook: blockHook(layer, 'hook_resid_post'),
    sizes: `${16 * width}, ${64 * width}`,
    k: '32',
    tokens: '1000000',
    batch: '4096',
    lr: '',
    evalTokens: '',
    family,
    arch: 'topk',
    checkpoints: '',
  };
}

function positiveInt(text: string, field: string): number | string {
  const t = text.trim().replace(/[_,]/g, '');
  if (!/^\d+$/.test(t) || Number(t) < 1) return `${field} must be a whole number ≥ 1, got "${text}"`;
  return Number(t);
}

/** Validates every field against the contract and the chosen model; all messages at once. */
export function validateTrainForm(values: TrainFormValues, models: readonly ModelEntry[], existingFamilies: readonly string[]): TrainFormResult {
  const errors: TrainFormErrors = {};
  const model = models.find((m) => m.id === values.model);
  if (!model) errors.model = models.length ? `choose one of: ${models.map((m) => m.id).join(', ')}` : 'the workspace has no model yet; create one on the home screen';
  if (values.dataset.trim() === '') errors.dataset = `choose a dataset (${EMBEDDED_DATASET} is built in)`;

  if (model) {
    try {
      parseHookName(values.hook.trim(), model.nLayers);
    } catch (err) {
      errors.hook = (err as Error).message;
    }
  }

  const k = positiveInt(values.k, 'k');
  if (typeof k === 'string') errors.k = k;

  const sizeParts = values.sizes.split(/[\s,]+/).filter((s) => s !== '');
  const sizes: number[] = [];
  for (const part of sizeParts) {
    const n = positiveInt(part, 'each size');
    if (typeof n === 'string') {
      errors.sizes = n;
      break;
    }
    sizes.push(n);
  }
  if (!errors.sizes) {
    if (sizes.length === 0) errors.sizes = 'give at least one dictionary size, e.g. "1024, 4096"';
    else if (new Set(sizes).size !== sizes.length) errors.sizes = `sizes must differ, got ${sizes.join(', ')}`;
    else if (values.arch === 'matryoshka' && sizes.length < 2) errors.sizes = `matryoshka needs at least two sizes: the smaller ones are nested prefixes of the largest (e.g. "1024, 4096")`;
    else if (typeof k === 'number' && sizes.some((n) => n < k)) errors.sizes = `every size must be ≥ k (${k}), got ${sizes.filter((n) => n < k).join(', ')}`;
  }

  const checkpoints = values.checkpoints.split(/[\s,]+/).filter((s) => s !== '');
  const unknown = checkpoints.find((id) => !models.some((m) => m.id === id));
  if (unknown !== undefined) errors.checkpoints = `"${unknown}" is not a model of the workspace; have: ${models.map((m) => m.id).join(', ')}`;
  else if (checkpoints.includes(values.model)) errors.checkpoints = `"${values.model}" is the final model; list only its earlier checkpoints`;
  else if (new Set(checkpoints).size !== checkpoints.length) errors.checkpoints = 'each checkpoint once';
  else if (checkpoints.length > 0 && !errors.sizes && sizes.length !== 1) errors.sizes = `a checkpoints set trains one SAE per checkpoint: give one size, got ${sizes.length}`;

  const tokens = positiveInt(values.tokens, 'tokens');
  if (typeof tokens === 'string') errors.tokens = tokens;

  let batch: number | undefined;
  if (values.batch.trim() !== '') {
    const b = positiveInt(values.batch, 'batch');
    if (typeof b === 'string') errors.batch = b;
    else batch = b;
  }

  let lr: number | undefined;
  if (values.lr.trim() !== '') {
    const x = Number(values.lr.trim());
    if (!Number.isFinite(x) || x <= 0) errors.lr = `learning rate must be a number > 0 (e.g. 2e-4), or empty for auto; got "${values.lr}"`;
    else lr = x;
  }

  let evalTokens: number | undefined;
  if (values.evalTokens.trim() !== '') {
    const t = values.evalTokens.trim().replace(/[_,]/g, '');
    if (!/^\d+$/.test(t)) errors.evalTokens = `eval tokens must be a whole number ≥ 0 (0 skips the evals), or empty for the default; got "${values.evalTokens}"`;
    else evalTokens = Number(t);
  }

  const family = values.family.trim();
  if (!ENTRY_NAME.test(family)) errors.family = `family name: letters, digits, ".", "_" and "-", starting with a letter or digit; got "${values.family}"`;
  else if (existingFamilies.includes(family)) errors.family = `family "${family}" already exists; pick another name`;

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const params: TrainParams = {
    model: values.model,
    dataset: values.dataset.trim(),
    hook: values.hook.trim(),
    latents: [...sizes].sort((a, b) => a - b),
    k: k as number,
    tokens: tokens as number,
    family,
    arch: values.arch,
  };
  if (batch !== undefined) params.batch = batch;
  if (lr !== undefined) params.lr = lr;
  if (evalTokens !== undefined) params.evalTokens = evalTokens;
  if (checkpoints.length > 0) params.checkpoints = checkpoints;
  return { ok: true, params };
}
