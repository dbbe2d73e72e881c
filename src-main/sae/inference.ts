// Runs any SAE architecture forward on tensors, with SAELens's semantics, for harvest, inspect and
// eval. Training has its own differentiable step; this is inference only (no gradients, no state
// between calls). Sources: SAELens 6 `saes/{standard,topk,jumprelu,gated}_sae.py` and `SAE.process_sae_in`,
// OpenAI sparse_autoencoder `model.py` (LN on the input, undone on decode).
import { tf } from '../engine/backend.js';
import { constantScale, type SaeBundle, type SaeSpec } from './types.js';

/** OpenAI's and SAELens's layer_norm epsilon. */
const LAYER_NORM_EPS = 1e-5;

/**
 * Per-token input normalisation, needed to undo it on decode:
 * normalised = (x − mean) · inScale, and out = y · outScale + mean.
 * (layer_norm: inScale = 1/(std + 1e-5), outScale = std — SAELens and OpenAI undo with std, not std + eps.)
 */
export interface InputNorm {
  mean?: tf.Tensor2D; // [tokens, 1]
  inScale: tf.Tensor2D; // [tokens, 1]
  outScale: tf.Tensor2D; // [tokens, 1]
}

/** The k kept latents per token of a top-k SAE; values are already ReLU'd (so may be 0). */
export type TopKCode = {
  values: tf.Tensor2D; // [tokens, k]
  indices: tf.Tensor2D; // [tokens, k] int32
};

export interface SaeRunner {
  readonly spec: SaeSpec;
  /** Dense latent activations of raw (un-normalised) activations: [tokens, dIn] → [tokens, dSae]. */
  encode(x: tf.Tensor2D): tf.Tensor2D;
  /** Sparse form, for per-token top-k SAEs only (topk, and batchtopk without a threshold). */
  encodeTopK?: (x: tf.Tensor2D) => TopKCode;
  /** Reconstruction from the sparse form, gathering k decoder rows per token instead of a dense matmul. */
  decodeTopK?: (code: TopKCode, norm?: InputNorm) => tf.Tensor2D;
  /**
   * Reconstruction in the raw activation space from dense latents [tokens, dSae] → [tokens, dIn].
   * SAEs with per-token normalisation (layer_norm, constant_norm_rescale) need `norm` from
   * `inputNorm(x)` of the same tokens.
   */
  decode(z: tf.Tensor2D, norm?: InputNorm): tf.Tensor2D;
  /** Decoder rows W_dec[latent] of the given latents: [n] → [n, dIn], in the SAE's own (normalised) units. */
  decoderRows(latents: number[]): tf.Tensor2D;
  /** What decode needs to undo this SAE's per-token input normalisation; undefined when there is none. */
  inputNorm(x: tf.Tensor2D): InputNorm | undefined;
  /** encode then decode, with the input's own normalisation undone: [tokens, dIn] → [tokens, dIn]. */
  reconstruct(x: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

interface Params {
  /** W_enc transposed, so the encoder's large operand is the matMul's left one (encoderProduct). */
  W_encT: tf.Tensor2D; // [dSae, dIn]
  W_dec: tf.Tensor2D; // [dSae, dIn]
  b_enc?: tf.Tensor1D; // [dSae]
  b_dec: tf.Tensor1D; // [dIn]
  threshold?: tf.Tensor1D; // [dSae], relu'd as SAELens does
  b_gate?: tf.Tensor1D; // [dSae]
  b_mag?: tf.Tensor1D; // [dSae]
  magScale?: tf.Tensor1D; // [dSae] = exp(r_mag)
}

function uploadParams(bundle: SaeBundle): Params {
  const { spec, weights: w } = bundle;
  const vector = (data: Float32Array) => tf.tensor1d(data, 'float32');
  const params: Params = {
    W_encT: tf.tensor2d(transposed(w.W_enc, spec.dIn, spec.dSae), [spec.dSae, spec.dIn], 'float32'),
    W_dec: tf.tensor2d(w.W_dec, [spec.dSae, spec.dIn], 'float32'),
    b_dec: vector(w.b_dec),
  };
  if (spec.architecture === 'gated') {
    if (!w.b_gate || !w.b_mag || !w.r_mag) throw new Error('gated SAE weights need b_gate, b_mag and r_mag');
    params.b_gate = vector(w.b_gate);
    params.b_mag = vector(w.b_mag);
    params.magScale = tf.tidy(() => tf.exp(vector(w.r_mag!)));
    return params;
  }
  params.b_enc = vector(w.b_enc);
  if (spec.architecture === 'jumprelu' && !w.threshold) throw new Error('jumprelu SAE weights need threshold [d_sae]');
  if (w.threshold && (spec.architecture === 'jumprelu' || spec.architecture === 'batchtopk')) {
    params.threshold = tf.tidy(() => tf.relu(vector(w.threshold!)));
  }
  return params;
}

/** [rows, cols] row-major → [cols, rows], on the host so no second copy lives on the tensor engine. */
function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

/**
 * sae_in · W_enc computed as (W_encᵀ · sae_inᵀ)ᵀ: wasm's matMul streams its whole right operand per
 * few rows of the left one, so a [dIn, dSae] W_enc on the right is read from memory again and again;
 * on the left it is read once (1.5× faster at d 768, 16k latents, 504 tokens). Same sums, up to float
 * rounding.
 */
function encoderProduct(sae_in: tf.Tensor2D, W_encT: tf.Tensor2D): tf.Tensor2D {
  return tf.transpose(tf.matMul(W_encT, tf.transpose(sae_in))) as tf.Tensor2D; // [dSae, tokens] → [tokens, dSae]
}

function perTokenNorm(spec: SaeSpec, x: tf.Tensor2D): InputNorm | undefined {
  if (spec.normalizeActivations === 'layer_norm') {
    return tf.tidy(() => {
      const mean = tf.mean(x, -1, true) as tf.Tensor2D; // [tokens, 1]
      const centred = tf.sub(x, mean); // [tokens, dIn]
      // torch's x.std() is the unbiased (n − 1) estimate; both SAELens and OpenAI use it.
      const variance = tf.div(tf.sum(tf.square(centred), -1, true), spec.dIn - 1); // [tokens, 1]
      const std = tf.sqrt(variance) as tf.Tensor2D; // [tokens, 1]
      return { mean, inScale: tf.reciprocal(tf.add(std, LAYER_NORM_EPS)) as tf.Tensor2D, outScale: std };
    });
  }
  if (spec.normalizeActivations === 'constant_norm_rescale') {
    return tf.tidy(() => {
      const coefficient = tf.div(Math.sqrt(spec.dIn), tf.norm(x, 'euclidean', -1, true)) as tf.Tensor2D; // [tokens, 1]
      return { inScale: coefficient, outScale: tf.reciprocal(coefficient) as tf.Tensor2D };
    });
  }
  return undefined;
}

/** Whether the runner of this SAE has a per-token top-k code (encodeTopK): topk, and batchtopk saved without a threshold. */
export function hasTopKCode(bundle: SaeBundle): boolean {
  return bundle.spec.architecture === 'topk' || (bundle.spec.architecture === 'batchtopk' && !bundle.weights.threshold);
}

export function createSaeRunner(bundle: SaeBundle): SaeRunner {
  const spec = { ...bundle.spec };
  const p = uploadParams(bundle);
  const scale = constantScale(spec);
  const perToken = spec.normalizeActivations === 'layer_norm' || spec.normalizeActivations === 'constant_norm_rescale';
  const perTokenTopK = hasTopKCode(bundle);
  if (perTokenTopK && (spec.k === undefined || !Number.isInteger(spec.k) || spec.k < 1 || spec.k > spec.dSae)) {
    throw new Error(`${spec.architecture} SAE needs an integer k in 1..${spec.dSae}, got ${spec.k}`);
  }
  let disposed = false;

  function checkInput(x: tf.Tensor2D): void {
    if (disposed) throw new Error('this SAE runner was disposed');
    if (x.rank !== 2 || x.shape[1] !== spec.dIn) {
      throw new Error(`SAE input must be [tokens, ${spec.dIn}] (d_in of ${spec.hookName}), got [${x.shape}]`);
    }
  }

  /** SAELens's process_sae_in: normalise, then subtract b_dec when apply_b_dec_to_input. */
  function saeInput(x: tf.Tensor2D, norm: InputNorm | undefined): tf.Tensor2D {
    let xs: tf.Tensor2D = x;
    if (norm) {
      const centred = norm.mean ? tf.sub(x, norm.mean) : x; // [tokens, dIn]
      xs = tf.mul(centred, norm.inScale); // [tokens, dIn]
    } else if (scale !== 1) {
      xs = tf.mul(x, scale); // [tokens, dIn]
    }
    return spec.applyBDecToInput ? tf.sub(xs, p.b_dec) : xs; // [tokens, dIn]
  }

  function undoNorm(y: tf.Tensor2D, norm: InputNorm | undefined): tf.Tensor2D {
    if (perToken) {
      if (!norm) {
        throw new Error(
          `decode: this SAE normalises its input with ${spec.normalizeActivations}; pass runner.inputNorm(x) of the same tokens so decode can undo it`,
        );
      }
      const scaled = tf.mul(y, norm.outScale); // [tokens, dIn]
      return norm.mean ? (tf.add(scaled, norm.mean) as tf.Tensor2D) : (scaled as tf.Tensor2D);
    }
    return scale !== 1 ? tf.div(y, scale) : y; // [tokens, dIn]
  }

  function preActivations(sae_in: tf.Tensor2D): tf.Tensor2D {
    return tf.add(encoderProduct(sae_in, p.W_encT), p.b_enc!) as tf.Tensor2D; // [tokens, dSae]
  }

  /** TopK of the pre-activations, ReLU'd (SAELens TopK: topk, then relu of the kept values). */
  function topKCode(x: tf.Tensor2D, norm: InputNorm | undefined): TopKCode {
    const { values, indices } = tf.topk(preActivations(saeInput(x, norm)), spec.k!, true); // [tokens, k] each
    return { values: tf.relu(values) as tf.Tensor2D, indices: indices as tf.Tensor2D };
  }

  function denseFromTopK(code: TopKCode): tf.Tensor2D {
    const [tokens, k] = code.indices.shape;
    const rows = tf.tile(tf.reshape(tf.range(0, tokens, 1, 'int32'), [tokens, 1]), [1, k]); // [tokens, k]
    const coordinates = tf.stack([tf.reshape(rows, [-1]), tf.reshape(code.indices, [-1])], 1); // [tokens·k, 2]
    return tf.scatterND(coordinates, tf.reshape(code.values, [-1]), [tokens, spec.dSae]) as tf.Tensor2D; // [tokens, dSae]
  }

  function latentsOf(x: tf.Tensor2D, norm: InputNorm | undefined): tf.Tensor2D {
    if (perTokenTopK) return denseFromTopK(topKCode(x, norm));
    const sae_in = saeInput(x, norm); // [tokens, dIn]
    if (spec.architecture === 'gated') {
      // Gated SAE (Rajamanoharan et al. 2024): the gate and the magnitude share W_enc; r_mag rescales columns.
      const shared = encoderProduct(sae_in, p.W_encT); // [tokens, dSae]
      const gate = tf.cast(tf.greater(tf.add(shared, p.b_gate!), 0), 'float32'); // [tokens, dSae]
      const magnitude = tf.relu(tf.add(tf.mul(shared, p.magScale!), p.b_mag!)); // [tokens, dSae]
      return tf.mul(gate, magnitude);
    }
    const pre = preActivations(sae_in); // [tokens, dSae]
    if (p.threshold) {
      // JumpReLU (and BatchTopK saved as one): relu(pre) kept where pre > relu(threshold).
      return tf.mul(tf.relu(pre), tf.cast(tf.greater(pre, p.threshold), 'float32'));
    }
    return tf.relu(pre); // standard: ReLU
  }

  function decodeDense(z: tf.Tensor2D, norm: InputNorm | undefined): tf.Tensor2D {
    return undoNorm(tf.add(tf.matMul(z, p.W_dec), p.b_dec) as tf.Tensor2D, norm); // [tokens, dIn]
  }

  /** k decoder rows per token instead of a [tokens, dSae] × [dSae, dIn] matmul. */
  function decodeSparse(code: TopKCode, norm: InputNorm | undefined): tf.Tensor2D {
    const [tokens, k] = code.indices.shape;
    const rows = tf.reshape(tf.gather(p.W_dec, tf.reshape(code.indices, [-1])), [tokens, k, spec.dIn]); // [tokens, k, dIn]
    const weighted = tf.sum(tf.mul(rows, tf.expandDims(code.values, -1)), 1); // [tokens, dIn]
    return undoNorm(tf.add(weighted, p.b_dec) as tf.Tensor2D, norm);
  }

  const runner: SaeRunner = {
    spec,
    encode: (x) => {
      checkInput(x);
      return tf.tidy(() => latentsOf(x, perTokenNorm(spec, x)));
    },
    decode: (z, norm) => {
      if (z.rank !== 2 || z.shape[1] !== spec.dSae) throw new Error(`SAE latents must be [tokens, ${spec.dSae}], got [${z.shape}]`);
      return tf.tidy(() => decodeDense(z, norm));
    },
    decoderRows: (latents) => {
      if (disposed) throw new Error('this SAE runner was disposed');
      latents.forEach((latent, i) => {
        if (!Number.isInteger(latent) || latent < 0 || latent >= spec.dSae) throw new Error(`latents[${i}] is ${latent}; this SAE has latents 0..${spec.dSae - 1}`);
      });
      return tf.tidy(() => tf.gather(p.W_dec, tf.tensor1d(latents, 'int32')) as tf.Tensor2D); // [n, dIn]
    },
    inputNorm: (x) => {
      checkInput(x);
      return perTokenNorm(spec, x);
    },
    reconstruct: (x) => {
      checkInput(x);
      return tf.tidy(() => {
        const norm = perTokenNorm(spec, x);
        return perTokenTopK ? decodeSparse(topKCode(x, norm), norm) : decodeDense(latentsOf(x, norm), norm);
      });
    },
    dispose: () => {
      if (disposed) return;
      disposed = true;
      for (const tensor of Object.values(p)) (tensor as tf.Tensor | undefined)?.dispose();
    },
  };
  if (perTokenTopK) {
    runner.encodeTopK = (x) => {
      checkInput(x);
      return tf.tidy(() => topKCode(x, perTokenNorm(spec, x)));
    };
    runner.decodeTopK = (code, norm) => tf.tidy(() => decodeSparse(code, norm));
  }
  return runner;
}
