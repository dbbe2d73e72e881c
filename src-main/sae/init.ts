// Initial parameters (Gao et al. 2024): unit-norm random decoder rows, the encoder as the decoder's
// transpose ("tied init"), b_enc = 0, and b_pre (b_dec) at the geometric median or mean of a sample.
// The standard (ReLU-L1) SAE's decoder is unconstrained and its rows start at norm 0.1 (Anthropic,
// Circuits Updates April 2024).
import { tf } from '../engine/backend.js';
import type { SaeParamArrays } from './api.js';
import type { BPreInit, SaeTrainConfig } from './config.js';
import { seededRandom } from '../../src-shared/random.js';

/** Initial decoder row norm of the standard SAE (April 2024 recipe); the top-k family's rows are unit-norm. */
const STANDARD_DECODER_NORM = 0.1;

/** Weiszfeld iterations; OpenAI's code uses 100, but the estimate settles to 1e-3 long before. */
const WEISZFELD_ITERATIONS = 30;

export function initialParams(config: SaeTrainConfig, sample?: tf.Tensor2D): SaeParamArrays {
  const { dIn, dSae } = config;
  if (sample && sample.shape[1] !== dIn) {
    throw new Error(`SAE init: the b_dec sample has width ${sample.shape[1]}, expected dIn = ${dIn}`);
  }
  // Typed arrays are read after tf.tidy: tidy walks whatever it returns, element by element.
  const tensors = tf.tidy(() => {
    const raw = tf.tensor2d(seededNormal(dSae * dIn, config.seed), [dSae, dIn]); // [dSae, dIn]
    const rowNorm = config.architecture === 'standard' ? STANDARD_DECODER_NORM : 1;
    const W_dec = raw.div(raw.norm('euclidean', 1, true)).mul(rowNorm); // [dSae, dIn]
    const W_enc = W_dec.transpose(); // [dIn, dSae]
    const b_dec = sample ? centre(sample, config.bPreInit) : tf.zeros([dIn]); // [dIn]
    return { W_enc, W_dec, b_dec };
  });
  const params = {
    W_enc: tensors.W_enc.dataSync() as Float32Array,
    b_enc: new Float32Array(dSae),
    W_dec: tensors.W_dec.dataSync() as Float32Array,
    b_dec: tensors.b_dec.dataSync() as Float32Array,
  };
  tf.dispose([tensors.W_enc, tensors.W_dec, tensors.b_dec]);
  return params;
}

/**
 * Standard normal samples from the project's seeded stream (Box–Muller). Not tf.randomNormal: its seed
 * 0 means "random", and a host-side stream gives the same initial SAE on every backend.
 */
export function seededNormal(count: number, seed: number): Float32Array {
  const random = seededRandom((seed ^ 0x9e3779b9) >>> 0);
  const uniform = (): number => random() + 0.5 / 4294967296; // in (0, 1), so the log below is finite
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

/**
 * OpenAI's mse_scale: 1 / E‖x − mean(x)‖² over the initialisation sample, fixed for the run, so the
 * reconstruction loss is a normalised MSE (≈ FVU) whatever the inputs' scale. Without a sample, 1/dIn:
 * its value for inputs of unit variance per dimension.
 */
export function fitMseScale(dIn: number, sample?: tf.Tensor2D): number {
  if (!sample) return 1 / dIn;
  const variance = tf.tidy(() => sample.sub(sample.mean(0)).square().sum(1).mean().dataSync()[0]);
  if (!(variance > 0) || !Number.isFinite(variance)) {
    throw new Error(`SAE init: the initialisation sample's variance E‖x − mean(x)‖² is ${variance}; expected a finite number > 0 (is the sample constant?)`);
  }
  return 1 / variance;
}

function centre(sample: tf.Tensor2D, how: BPreInit): tf.Tensor1D {
  return how === 'mean' ? sample.mean(0) : geometricMedian(sample);
}

/** The point minimising the summed Euclidean distance to the rows of `points` (Weiszfeld's algorithm). */
export function geometricMedian(points: tf.Tensor2D, iterations = WEISZFELD_ITERATIONS): tf.Tensor1D {
  return tf.tidy(() => {
    let median = points.mean(0) as tf.Tensor1D; // [d]
    for (let i = 0; i < iterations; i++) {
      const next = tf.tidy(() => {
        // Clamping the distance keeps a point that coincides with the estimate from dividing by zero.
        const weights = points.sub(median).norm('euclidean', 1).maximum(1e-8).reciprocal(); // [n]
        return weights.expandDims(1).mul(points).sum(0).div(weights.sum()) as tf.Tensor1D; // [d]
      });
      median.dispose();
      median = next;
    }
    return median;
  });
}
