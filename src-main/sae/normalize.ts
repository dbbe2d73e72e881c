// Input normalisation around the SAE (SAELens's normalize_activations). The SAE trains on and
// encodes normalised activations; x̂ is mapped back with undoNormalization.
//   layer_norm               (x − μ) / (σ + 1e-5) per token; undone as x̂·σ + μ (OpenAI's LN, unbiased σ)
//   expected_average_only_in x · √d / E‖x‖, the factor fitted once on a sample (SAELens)
//   constant_norm_rescale    x · √d / ‖x‖ per token (SAELens)
//   none                     x
import { tf } from '../engine/backend.js';
import type { TrainNormalization } from './config.js';

export interface NormalizationFit {
  kind: TrainNormalization;
  /** expected_average_only_in: the multiplier √d / E‖x‖ (SaeSpec.normScalingFactor). */
  scalingFactor?: number;
}

/** A normalised batch and what undoes it: original = normalised · scale + shift. */
export interface NormalizedBatch {
  x: tf.Tensor2D; // [batch, d]
  scale: tf.Tensor; // [batch, 1] or scalar
  shift: tf.Tensor; // [batch, 1] or scalar
}

const LAYER_NORM_EPS = 1e-5;

/** Fits what the normalisation needs from a sample [samples, d] (only expected_average_only_in needs one). */
export function fitNormalization(kind: TrainNormalization, sample?: tf.Tensor2D): NormalizationFit {
  if (kind !== 'expected_average_only_in') return { kind };
  if (!sample || sample.shape[0] === 0) throw new Error('normalisation expected_average_only_in needs a non-empty sample of activations to fit its scaling factor');
  const meanNorm = tf.tidy(() => sample.norm('euclidean', 1).mean().dataSync()[0]);
  if (!(meanNorm > 0)) throw new Error(`normalisation expected_average_only_in: the sample's mean norm is ${meanNorm}; expected a positive number`);
  return { kind, scalingFactor: Math.sqrt(sample.shape[1]) / meanNorm };
}

export function applyNormalization(fit: NormalizationFit, x: tf.Tensor2D): NormalizedBatch {
  return tf.tidy(() => {
    const d = x.shape[1];
    switch (fit.kind) {
      case 'none':
        return { x: x.clone(), scale: tf.scalar(1), shift: tf.scalar(0) };
      case 'expected_average_only_in': {
        if (!fit.scalingFactor) throw new Error('normalisation expected_average_only_in has no scalingFactor: call fitNormalization with a sample first');
        return { x: x.mul(fit.scalingFactor) as tf.Tensor2D, scale: tf.scalar(1 / fit.scalingFactor), shift: tf.scalar(0) };
      }
      case 'constant_norm_rescale': {
        const scale = x.norm('euclidean', 1, true).div(Math.sqrt(d)).maximum(1e-12); // [batch, 1]
        return { x: x.div(scale) as tf.Tensor2D, scale, shift: tf.scalar(0) };
      }
      case 'layer_norm': {
        const mean = x.mean(1, true); // [batch, 1]
        const centred = x.sub(mean); // [batch, d]
        const std = centred.square().sum(1, true).div(Math.max(1, d - 1)).sqrt(); // [batch, 1]
        return { x: centred.div(std.add(LAYER_NORM_EPS)) as tf.Tensor2D, scale: std, shift: mean };
      }
    }
  });
}

/** Maps a reconstruction of `batch.x` back to the original units. */
export function undoNormalization(xhat: tf.Tensor2D, batch: NormalizedBatch): tf.Tensor2D {
  return tf.tidy(() => xhat.mul(batch.scale).add(batch.shift) as tf.Tensor2D); // [batch, d]
}

export function disposeNormalized(batch: NormalizedBatch): void {
  tf.dispose([batch.x, batch.scale, batch.shift]);
}
