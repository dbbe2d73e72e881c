// OpenAI's sparse_autoencoder SAEs for GPT-2 small (v5, Gao et al. 2024). OpenAI publishes them as
// pickled torch state dicts; unpickling runs arbitrary code, so we never do it. Two safe routes:
//  - the SAELens-format mirrors (releases gpt2-small-resid-post-v5-32k / -128k, …): ordinary SAELens
//    folders with normalize_activations "layer_norm", read by saelens.ts;
//  - the same state dict re-saved as safetensors (pre_bias [d], latent_bias [n], encoder.weight [n, d],
//    decoder.weight [d, n]), read here: W_enc = encoder.weightᵀ, W_dec = decoder.weightᵀ,
//    b_dec = pre_bias, b_enc = latent_bias, TopK(k = 32) after a parameter-free LayerNorm.
import path from 'node:path';
import { openSafetensors } from '../../io/safetensors.js';
import type { SaeBundle } from '../types.js';
import { readTensor, transpose } from './tensor-io.js';
import { validateBundle } from './validate.js';

/** OpenAI's site names → TransformerLens hooks (layer L). */
export const OPENAI_SITES: Readonly<Record<string, string>> = {
  resid_post_attn: 'hook_resid_mid',
  resid_post_mlp: 'hook_resid_post',
  resid_delta_attn: 'hook_attn_out',
  resid_delta_mlp: 'hook_mlp_out',
};

/** Their TopK models keep 32 latents ({k: 32, postact_fn: ReLU}). */
export const OPENAI_DEFAULT_K = 32;

const PICKLE_EXTENSIONS = ['.pt', '.pth', '.bin', '.pkl', '.ckpt'];

export function isPickleFile(file: string): boolean {
  return PICKLE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/** The error for a pickled checkpoint: what to use instead. */
export function pickleRefusal(file: string): Error {
  return new Error(
    `${file} is a pickled PyTorch file; sae-explorer never unpickles (loading a pickle can run arbitrary code). ` +
      'For OpenAI GPT-2 SAEs import the SAELens-format mirror instead (SAELens releases gpt2-small-resid-post-v5-32k, ' +
      'gpt2-small-resid-post-v5-128k, …), or re-save the state dict as .safetensors and import that.',
  );
}

export interface OpenAiLoadOptions {
  /** TransformerLens hook name; default: inferred from an OpenAI site name in the path and the file's layer number. */
  hookName?: string;
  /** Latents kept per token; default 32 (or `k` in the file's metadata). */
  k?: number;
}

/** `…/resid_post_mlp/…/8.safetensors` → blocks.8.hook_resid_post, as OpenAI's blob paths are laid out. */
export function hookNameFromOpenAiPath(file: string): string | undefined {
  const parts = path.resolve(file).split(path.sep);
  const site = parts.map((p) => OPENAI_SITES[p]).find((s) => s !== undefined);
  const layer = /^(\d+)\.safetensors$/.exec(path.basename(file))?.[1];
  return site && layer !== undefined ? `blocks.${layer}.${site}` : undefined;
}

/** Whether a safetensors file holds OpenAI's state-dict keys. */
export function looksLikeOpenAi(names: string[]): boolean {
  return names.includes('pre_bias') && names.includes('latent_bias') && names.includes('encoder.weight');
}

/** Reads an OpenAI state dict saved as safetensors. */
export function loadOpenAiSafetensors(file: string, opts: OpenAiLoadOptions = {}): SaeBundle {
  if (isPickleFile(file)) throw pickleRefusal(file);
  const st = openSafetensors(file);
  if (!looksLikeOpenAi(st.names())) {
    throw new Error(`${file}: not an OpenAI sparse_autoencoder state dict (expected pre_bias, latent_bias, encoder.weight, decoder.weight; found ${st.names().join(', ')})`);
  }
  const encoderShape = st.info('encoder.weight').shape;
  if (encoderShape.length !== 2) throw new Error(`${file}: encoder.weight must be 2-D [n_latents, d_model], got [${encoderShape.join(', ')}]`);
  const [dSae, dIn] = encoderShape;
  const why = 'n_latents × d_model from encoder.weight';
  const metadataK = Number(st.metadata.k);
  const k = opts.k ?? (Number.isInteger(metadataK) && metadataK > 0 ? metadataK : OPENAI_DEFAULT_K);
  const hookName = opts.hookName ?? hookNameFromOpenAiPath(file);
  if (!hookName) {
    throw new Error(`${file}: cannot tell which hook this OpenAI SAE reads; pass the hook name (e.g. blocks.8.hook_resid_post for resid_post_mlp layer 8)`);
  }
  const bundle: SaeBundle = {
    spec: {
      architecture: 'topk',
      dIn,
      dSae,
      k,
      normalizeActivations: 'layer_norm',
      applyBDecToInput: true,
      modelName: 'gpt2',
      hookName,
      // Gao et al. trained GPT-2 SAEs on 64-token contexts of OpenWebText.
      contextSize: 64,
      prependBos: false,
      datasetPath: 'openwebtext',
    },
    weights: {
      W_enc: transpose(readTensor(st, 'encoder.weight', [dSae, dIn], why), dSae, dIn),
      W_dec: transpose(readTensor(st, 'decoder.weight', [dIn, dSae], why), dIn, dSae),
      b_enc: readTensor(st, 'latent_bias', [dSae], why),
      b_dec: readTensor(st, 'pre_bias', [dIn], why),
    },
  };
  validateBundle(bundle);
  return bundle;
}
