// GPT-2 hyper-parameters, read from and written to Hugging Face's config.json. Only the keys that
// change the forward pass are kept; HF's other keys (dropout rates, summary_* for the
// double-heads model) do not matter for inference and are ignored when reading.

/** Activations HF's GPT-2 accepts that we implement; all but `gelu`/`relu`/`silu` are the tanh form. */
export const ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'gelu', 'quick_gelu', 'relu', 'silu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface Gpt2Config {
  /** Number of transformer blocks (HF n_layer; 12 for gpt2). */
  nLayer: number;
  /** Residual stream width d_model (HF n_embd; 768 for gpt2). */
  nEmbd: number;
  /** Attention heads per block (HF n_head); nEmbd must be a multiple of it. */
  nHead: number;
  /** Hidden width of the MLP (HF n_inner; null there means 4 · nEmbd). */
  nInner: number;
  /** Context length: rows of the position embedding (HF n_positions, older files n_ctx). */
  nPositions: number;
  /** Rows of the token embedding, tied to the unembedding (HF vocab_size; 50257). */
  vocabSize: number;
  /** Epsilon added to the variance in every LayerNorm (HF layer_norm_epsilon; 1e-5). */
  layerNormEpsilon: number;
  /** MLP nonlinearity (HF activation_function; gelu_new for every OpenAI GPT-2). */
  activationFunction: Activation;
  /** Token id of <|endoftext|>, used to stop generation (HF eos_token_id; 50256). */
  eosTokenId: number;
  /** Token id prepended as BOS (HF bos_token_id; 50256). */
  bosTokenId: number;
}

type Json = Record<string, unknown>;

function positiveInt(json: Json, key: string, file: string): number {
  const value = json[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`${file}: "${key}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function optionalTokenId(json: Json, key: string, vocabSize: number, file: string): number {
  const value = json[key] ?? Math.min(50256, vocabSize - 1);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= vocabSize) {
    throw new Error(`${file}: "${key}" must be a token id in 0..${vocabSize - 1}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Reads the parsed contents of a Hugging Face GPT-2 config.json. `file` names the file in errors.
 * Options that would change the math (`scale_attn_weights: false`, `scale_attn_by_inverse_layer_idx`,
 * `add_cross_attention`) are rejected rather than silently computed the standard way.
 */
export function parseGpt2Config(json: unknown, file: string): Gpt2Config {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${file}: expected a JSON object with GPT-2 hyper-parameters, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const obj = json as Json;
  if (obj.model_type !== undefined && obj.model_type !== 'gpt2') {
    throw new Error(`${file}: "model_type" is ${JSON.stringify(obj.model_type)}, but only "gpt2" models are supported`);
  }
  if (obj.n_positions === undefined && obj.n_ctx === undefined) {
    throw new Error(`${file}: missing "n_positions" (or the older "n_ctx"), the context length`);
  }
  const nLayer = positiveInt(obj, 'n_layer', file);
  const nEmbd = positiveInt(obj, 'n_embd', file);
  const nHead = positiveInt(obj, 'n_head', file);
  const nPositions = positiveInt(obj, obj.n_positions !== undefined ? 'n_positions' : 'n_ctx', file);
  const vocabSize = positiveInt(obj, 'vocab_size', file);
  if (nEmbd % nHead !== 0) {
    throw new Error(`${file}: "n_embd" (${nEmbd}) must be divisible by "n_head" (${nHead})`);
  }
  const nInner = obj.n_inner === undefined || obj.n_inner === null ? 4 * nEmbd : positiveInt(obj, 'n_inner', file);
  const eps = obj.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) {
    throw new Error(`${file}: "layer_norm_epsilon" must be a positive number, got ${JSON.stringify(obj.layer_norm_epsilon)}`);
  }
  const act = obj.activation_function ?? 'gelu_new';
  if (!(ACTIVATIONS as readonly unknown[]).includes(act)) {
    throw new Error(`${file}: "activation_function" is ${JSON.stringify(act)}; expected one of ${ACTIVATIONS.join(', ')}`);
  }
  if (obj.scale_attn_weights === false) {
    throw new Error(`${file}: "scale_attn_weights": false is not supported (every GPT-2 checkpoint scales by 1/sqrt(d_head))`);
  }
  if (obj.scale_attn_by_inverse_layer_idx === true) {
    throw new Error(`${file}: "scale_attn_by_inverse_layer_idx": true is not supported (GPT-2 checkpoints use false)`);
  }
  if (obj.add_cross_attention === true) {
    throw new Error(`${file}: "add_cross_attention": true is not supported (decoder-only GPT-2 has no cross-attention)`);
  }
  return {
    nLayer,
    nEmbd,
    nHead,
    nInner,
    nPositions,
    vocabSize,
    layerNormEpsilon: eps,
    activationFunction: act as Activation,
    eosTokenId: optionalTokenId(obj, 'eos_token_id', vocabSize, file),
    bosTokenId: optionalTokenId(obj, 'bos_token_id', vocabSize, file),
  };
}

/** The config.json Hugging Face's GPT2Config.save_pretrained writes, keys in its (sorted) order. */
export function toHfConfigJson(c: Gpt2Config): Record<string, unknown> {
  return {
    activation_function: c.activationFunction,
    architectures: ['GPT2LMHeadModel'],
    attn_pdrop: 0.1,
    bos_token_id: c.bosTokenId,
    embd_pdrop: 0.1,
    eos_token_id: c.eosTokenId,
    initializer_range: 0.02,
    layer_norm_epsilon: c.layerNormEpsilon,
    model_type: 'gpt2',
    n_ctx: c.nPositions,
    n_embd: c.nEmbd,
    n_head: c.nHead,
    n_inner: c.nInner === 4 * c.nEmbd ? null : c.nInner,
    n_layer: c.nLayer,
    n_positions: c.nPositions,
    reorder_and_upcast_attn: false,
    resid_pdrop: 0.1,
    scale_attn_by_inverse_layer_idx: false,
    scale_attn_weights: true,
    summary_activation: null,
    summary_first_dropout: 0.1,
    summary_proj_to_labels: true,
    summary_type: 'cls_index',
    summary_use_proj: true,
    torch_dtype: 'float32',
    transformers_version: '4.46.0',
    use_cache: true,
    vocab_size: c.vocabSize,
  };
}

export function dHead(c: Gpt2Config): number {
  return c.nEmbd / c.nHead;
}
