// Synthetic activations with a known dictionary: each sample is a sparse non-negative combination of
// unit directions, so a good SAE's decoder rows should land on those directions.
import { seededRandom } from '../../../src-shared/random.js';
import { tf } from '../../../src-main/engine/backend.js';
import { seededNormal } from '../../../src-main/sae/init.js';

export interface PlantedData {
  /** [directions, d] unit rows. */
  directions: Float32Array;
  count: number;
  d: number;
  /** A fresh batch [batch, d]; deterministic in `seed`. */
  batch(size: number, seed: number): tf.Tensor2D;
}

/**
 * `count` random unit directions in the first `span` coordinates of R^d (span = d by default);
 * each sample has `active` of them with coefficients uniform in [0.5, 1.5].
 */
export function plantedDictionary(d: number, count: number, active: number, seed: number, span = d): PlantedData {
  const raw = seededNormal(count * span, seed);
  const directions = new Float32Array(count * d);
  for (let j = 0; j < count; j++) {
    let norm = 0;
    for (let i = 0; i < span; i++) norm += raw[j * span + i] ** 2;
    for (let i = 0; i < span; i++) directions[j * d + i] = raw[j * span + i] / Math.sqrt(norm);
  }
  return {
    directions,
    count,
    d,
    batch(size: number, batchSeed: number): tf.Tensor2D {
      const random = seededRandom(batchSeed);
      const coefficients = new Float32Array(size * count);
      for (let t = 0; t < size; t++) {
        const chosen = new Set<number>();
        while (chosen.size < active) chosen.add(Math.floor(random() * count));
        for (const j of chosen) coefficients[t * count + j] = 0.5 + random();
      }
      return tf.tidy(() => tf.matMul(tf.tensor2d(coefficients, [size, count]), tf.tensor2d(directions, [count, d])) as tf.Tensor2D); // [size, d]
    },
  };
}


/** Fraction of true directions that some decoder row matches with cosine ≥ `threshold`. */
export function recoveredFraction(directions: Float32Array, count: number, W_dec: Float32Array, dSae: number, d: number, threshold = 0.95): number {
  return tf.tidy(() => {
    const truth = tf.tensor2d(directions, [count, d]);
    const rows = tf.tensor2d(W_dec, [dSae, d]);
    const unit = rows.div(rows.norm('euclidean', 1, true)); // [dSae, d]
    const cosines = tf.matMul(truth, unit.transpose()); // [count, dSae]
    const best = cosines.max(1).dataSync();
    return Array.from(best).filter((c) => c >= threshold).length / count;
  });
}
