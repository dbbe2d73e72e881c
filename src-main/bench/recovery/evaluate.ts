// One SAE on held-out planted tokens: its code (inference encoding, as exported), reconstruction,
// and what its decoder recovered (metrics.ts). The planted dictionary itself can stand in for an
// SAE, as the reference row: its code is the truth and its reconstruction misses only the noise.
import { tf } from '../../engine/backend.js';
import type { PlantedBatch, PlantedDictionary } from '../../data/planted.js';
import type { TrainableSae } from '../../sae/api.js';
import { applyNormalization, disposeNormalized, type NormalizationFit } from '../../sae/normalize.js';
import type { HostCode } from '../../sae/sparse/codes.js';
import { absorptionFigures, matchFeatures, plantedCode, recoveryFigures, type AbsorptionFigures, type RecoveryFigures } from './metrics.js';

export interface PlantedEval extends RecoveryFigures, AbsorptionFigures {
  /** Mean active latents per eval token. */
  l0: number;
  /** Σ‖x − x̂‖² ÷ Σ‖x − mean(x)‖² over the eval tokens. */
  fvu: number;
}

/** Eval tokens encoded per pass: bounds the dense [chunk, latents] pre-activations of one pass. */
const CHUNK = 4096;

export async function evaluateOnPlanted(planted: PlantedDictionary, sae: TrainableSae | 'planted', normalization: NormalizationFit | undefined, batch: PlantedBatch): Promise<PlantedEval> {
  const { d } = planted;
  const x = tf.tensor2d(batch.x, [batch.tokens, d]); // [tokens, d]
  const normalized = sae === 'planted' ? undefined : applyNormalization(normalization!, x);
  try {
    const input = normalized?.x ?? x; // [tokens, d]
    const variance = tf.tidy(() => input.sub(input.mean(0)).square().sum().dataSync()[0]);
    let code: HostCode;
    let sse = 0;
    let decoder: Float32Array;
    let latents: number;
    if (sae === 'planted') {
      code = plantedCode(batch);
      decoder = planted.directions;
      latents = planted.features;
      sse = plantedResidual(planted, batch);
    } else {
      const parts: HostCode[] = [];
      for (let start = 0; start < batch.tokens; start += CHUNK) {
        const rows = Math.min(CHUNK, batch.tokens - start);
        const chunk = input.slice([start, 0], [rows, d]); // [rows, d]
        const encoded = await sae.encode(chunk); // [rows, width] each
        const xhat = await sae.decode(encoded); // [rows, d]
        sse += tf.tidy(() => chunk.sub(xhat).square().sum().dataSync()[0]);
        parts.push({ values: (await encoded.values.data()) as Float32Array, indices: (await encoded.indices.data()) as Int32Array, batch: rows, width: encoded.values.shape[1] });
        tf.dispose([chunk, encoded.values, encoded.indices, xhat]);
      }
      code = concatCodes(parts);
      decoder = (await sae.getState()).params.W_dec;
      latents = sae.config.dSae;
    }
    let active = 0;
    for (const v of code.values) if (v > 0) active++;
    const match = await matchFeatures(planted, decoder, latents);
    return {
      l0: active / batch.tokens,
      fvu: sse / Math.max(variance, 1e-12),
      ...recoveryFigures(planted, match),
      ...absorptionFigures(planted, match, decoder, batch, code),
    };
  } finally {
    x.dispose();
    if (normalized) disposeNormalized(normalized);
  }
}

/** Σ‖x − Σ_i a_i f_i‖² over the batch: what the planted features leave unexplained (the noise). */
function plantedResidual(planted: PlantedDictionary, batch: PlantedBatch): number {
  const { d } = planted;
  const residual = batch.x.slice();
  for (let t = 0; t < batch.tokens; t++) {
    for (let e = batch.offsets[t]; e < batch.offsets[t + 1]; e++) {
      const f = batch.features[e];
      for (let j = 0; j < d; j++) residual[t * d + j] -= batch.magnitudes[e] * planted.directions[f * d + j];
    }
  }
  return residual.reduce((sum, r) => sum + r * r, 0);
}

/** Codes of consecutive token ranges as one, padded to the widest. */
function concatCodes(parts: HostCode[]): HostCode {
  const width = Math.max(...parts.map((p) => p.width));
  const batch = parts.reduce((sum, p) => sum + p.batch, 0);
  const values = new Float32Array(batch * width);
  const indices = new Int32Array(batch * width);
  let row = 0;
  for (const p of parts) {
    for (let t = 0; t < p.batch; t++, row++) {
      values.set(p.values.subarray(t * p.width, (t + 1) * p.width), row * width);
      indices.set(p.indices.subarray(t * p.width, (t + 1) * p.width), row * width);
    }
  }
  return { values, indices, batch, width };
}
