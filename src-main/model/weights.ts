// GPT-2's parameters as tfjs tensors, and how they come out of a Hugging Face checkpoint.
// HF's GPT-2 uses Conv1D layers, so every linear weight is stored [in, out] and multiplies as
// x @ W — no transpose on load. The unembedding is tied to wte and is not stored separately.
import { tf } from '../engine/backend.js';
import type { Gpt2Config } from './config.js';

export interface LayerNormWeights {
  weight: tf.Tensor1D; // [d_model]
  bias: tf.Tensor1D; // [d_model]
}

export interface AttentionWeights {
  qkvWeight: tf.Tensor2D; // [d_model, 3·d_model], columns q | k | v
  qkvBias: tf.Tensor1D; // [3·d_model]
  projWeight: tf.Tensor2D; // [d_model, d_model]
  projBias: tf.Tensor1D; // [d_model]
}

export interface MlpWeights {
  fcWeight: tf.Tensor2D; // [d_model, d_mlp]
  fcBias: tf.Tensor1D; // [d_mlp]
  projWeight: tf.Tensor2D; // [d_mlp, d_model]
  projBias: tf.Tensor1D; // [d_model]
}

export interface BlockWeights {
  ln1: LayerNormWeights;
  attn: AttentionWeights;
  ln2: LayerNormWeights;
  mlp: MlpWeights;
}

export interface Gpt2Weights {
  wte: tf.Tensor2D; // [vocab, d_model]
  wpe: tf.Tensor2D; // [n_positions, d_model]
  blocks: BlockWeights[];
  lnF: LayerNormWeights;
}

/** What the loader needs from a checkpoint; `SafetensorsFile` from io/safetensors.ts fits it. */
export interface TensorSource {
  names(): string[];
  info(name: string): { dtype: string; shape: number[] };
  getFloat32(name: string): Float32Array;
}

/** Dtypes a GPT-2 checkpoint may store its weights in; the reader widens each to float32. */
const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

/** Every parameter of a GPT-2 checkpoint, by HF name without the `transformer.` prefix, with its shape. */
export function expectedShapes(c: Gpt2Config): Map<string, number[]> {
  const d = c.nEmbd;
  const shapes = new Map<string, number[]>([
    ['wte.weight', [c.vocabSize, d]],
    ['wpe.weight', [c.nPositions, d]],
  ]);
  for (let i = 0; i < c.nLayer; i++) {
    const p = `h.${i}.`;
    shapes.set(`${p}ln_1.weight`, [d]);
    shapes.set(`${p}ln_1.bias`, [d]);
    shapes.set(`${p}attn.c_attn.weight`, [d, 3 * d]);
    shapes.set(`${p}attn.c_attn.bias`, [3 * d]);
    shapes.set(`${p}attn.c_proj.weight`, [d, d]);
    shapes.set(`${p}attn.c_proj.bias`, [d]);
    shapes.set(`${p}ln_2.weight`, [d]);
    shapes.set(`${p}ln_2.bias`, [d]);
    shapes.set(`${p}mlp.c_fc.weight`, [d, c.nInner]);
    shapes.set(`${p}mlp.c_fc.bias`, [c.nInner]);
    shapes.set(`${p}mlp.c_proj.weight`, [c.nInner, d]);
    shapes.set(`${p}mlp.c_proj.bias`, [d]);
  }
  shapes.set('ln_f.weight', [d]);
  shapes.set('ln_f.bias', [d]);
  return shapes;
}

/**
 * Tensors a checkpoint may hold that are not parameters: the tied lm_head (HF ignores it too), and
 * the causal-mask buffers older transformers versions saved.
 */
function isIgnored(name: string): boolean {
  return name === 'lm_head.weight' || /^h\.\d+\.attn\.(bias|masked_bias)$/.test(name);
}

/** 1 + the largest block index among the tensor names (`h.N.` or `transformer.h.N.`). */
function layersIn(names: string[]): number {
  let layers = 0;
  for (const name of names) {
    const match = /^(?:transformer\.)?h\.(\d+)\./.exec(name);
    if (match) layers = Math.max(layers, Number(match[1]) + 1);
  }
  return layers;
}

const fmt = (shape: number[]): string => `[${shape.join(', ')}]`;

/**
 * Validates every tensor of `source` against the config (names, dtypes, shapes) before reading
 * any data, then uploads the weights. `label` names the checkpoint in errors.
 */
export function weightsFromSource(c: Gpt2Config, source: TensorSource, label: string): Gpt2Weights {
  // Before listing 12 tensors per layer: an absurd n_layer (2^31) would take minutes and gigabytes.
  const storedLayers = layersIn(source.names());
  if (c.nLayer > storedLayers) {
    throw new Error(`${label}: config.json says n_layer ${c.nLayer}, but the checkpoint holds ${storedLayers} layer${storedLayers === 1 ? '' : 's'} (h.0 to h.${storedLayers - 1})`);
  }
  const expected = expectedShapes(c);
  const stored = new Map<string, string>(); // parameter name -> name in the file
  for (const fileName of source.names()) {
    const name = fileName.startsWith('transformer.') ? fileName.slice('transformer.'.length) : fileName;
    if (isIgnored(name)) continue;
    const shape = expected.get(name);
    if (!shape) {
      throw new Error(`${label}: unexpected tensor "${fileName}", which is not a parameter of a ${c.nLayer}-layer GPT-2`);
    }
    if (stored.has(name)) throw new Error(`${label}: tensor "${name}" is stored twice (as "${stored.get(name)}" and "${fileName}")`);
    const info = source.info(fileName);
    if (!FLOAT_DTYPES.has(info.dtype)) {
      throw new Error(`${label}: tensor "${fileName}" has dtype ${info.dtype}; expected F32, F16 or BF16`);
    }
    if (fmt(info.shape) !== fmt(shape)) {
      throw new Error(`${label}: tensor "${fileName}" has shape ${fmt(info.shape)}, but config.json implies ${fmt(shape)}`);
    }
    stored.set(name, fileName);
  }
  const missing = [...expected.keys()].filter((name) => !stored.has(name));
  if (missing.length > 0) {
    const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
    throw new Error(`${label}: missing tensor${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).map((n) => `"${n}"`).join(', ')}${more}`);
  }
  const created: tf.Tensor[] = [];
  const get = <R extends tf.Rank>(name: string): tf.Tensor<R> => {
    const t = tf.tensor<tf.Rank>(source.getFloat32(stored.get(name)!), expected.get(name)!, 'float32') as tf.Tensor<R>; // shape as expectedShapes says
    created.push(t);
    return t;
  };
  try {
    return assembleWeights(c, get);
  } catch (err) {
    tf.dispose(created);
    throw err;
  }
}

/** Builds the weight tree from tensors named as expectedShapes names them. */
export function assembleWeights(c: Gpt2Config, get: <R extends tf.Rank>(name: string) => tf.Tensor<R>): Gpt2Weights {
  const ln = (p: string): LayerNormWeights => ({ weight: get(`${p}.weight`), bias: get(`${p}.bias`) });
  const blocks: BlockWeights[] = [];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `h.${i}`;
    blocks.push({
      ln1: ln(`${p}.ln_1`),
      attn: {
        qkvWeight: get(`${p}.attn.c_attn.weight`),
        qkvBias: get(`${p}.attn.c_attn.bias`),
        projWeight: get(`${p}.attn.c_proj.weight`),
        projBias: get(`${p}.attn.c_proj.bias`),
      },
      ln2: ln(`${p}.ln_2`),
      mlp: {
        fcWeight: get(`${p}.mlp.c_fc.weight`),
        fcBias: get(`${p}.mlp.c_fc.bias`),
        projWeight: get(`${p}.mlp.c_proj.weight`),
        projBias: get(`${p}.mlp.c_proj.bias`),
      },
    });
  }
  return { wte: get('wte.weight'), wpe: get('wpe.weight'), blocks, lnF: ln('ln_f') };
}

/** Every parameter by its HF name (no `transformer.` prefix), in expectedShapes' order: the inverse of assembleWeights. */
export function namedWeights(w: Gpt2Weights): Map<string, tf.Tensor> {
  const named = new Map<string, tf.Tensor>([
    ['wte.weight', w.wte],
    ['wpe.weight', w.wpe],
  ]);
  w.blocks.forEach((b, i) => {
    const p = `h.${i}.`;
    named.set(`${p}ln_1.weight`, b.ln1.weight);
    named.set(`${p}ln_1.bias`, b.ln1.bias);
    named.set(`${p}attn.c_attn.weight`, b.attn.qkvWeight);
    named.set(`${p}attn.c_attn.bias`, b.attn.qkvBias);
    named.set(`${p}attn.c_proj.weight`, b.attn.projWeight);
    named.set(`${p}attn.c_proj.bias`, b.attn.projBias);
    named.set(`${p}ln_2.weight`, b.ln2.weight);
    named.set(`${p}ln_2.bias`, b.ln2.bias);
    named.set(`${p}mlp.c_fc.weight`, b.mlp.fcWeight);
    named.set(`${p}mlp.c_fc.bias`, b.mlp.fcBias);
    named.set(`${p}mlp.c_proj.weight`, b.mlp.projWeight);
    named.set(`${p}mlp.c_proj.bias`, b.mlp.projBias);
  });
  named.set('ln_f.weight', w.lnF.weight);
  named.set('ln_f.bias', w.lnF.bias);
  return named;
}

/** An in-memory TensorSource over host arrays (for generated models and benchmarks). */
export function hostTensorSource(tensors: Map<string, { shape: number[]; data: Float32Array }>): TensorSource {
  return {
    names: () => [...tensors.keys()],
    info: (name) => ({ dtype: 'F32', shape: tensors.get(name)!.shape }),
    getFloat32: (name) => tensors.get(name)!.data,
  };
}

export function disposeGpt2Weights(w: Gpt2Weights): void {
  tf.dispose([w.wte, w.wpe, w.lnF.weight, w.lnF.bias]);
  for (const b of w.blocks) {
    tf.dispose([b.ln1.weight, b.ln1.bias, b.ln2.weight, b.ln2.bias, ...Object.values(b.attn), ...Object.values(b.mlp)]);
  }
}
