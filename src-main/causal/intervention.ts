// Interventions on SAE latents at the SAE's hook site, as a model hook: add a multiple of latents'
// decoder directions, or clamp latents to values. Clamping encodes, sets the latents, decodes, and
// adds back the SAE's reconstruction error (x' = x + decode(z') − decode(z)), so only the chosen
// latents change and the part of the activation the SAE does not explain passes through untouched.
import { tf } from '../engine/backend.js';
import type { Hook } from '../model/hooks.js';
import type { SaeRunner } from '../sae/inference.js';
import { parseHookName, type HookName } from '../../src-shared/hooks.js';

export type InterventionMode = 'add' | 'clamp';

export interface Intervention {
  /** add: activation += value × W_dec[latent] (SAELens's steering); clamp: the latent is set to value. */
  mode: InterventionMode;
  /** The latents and, per latent, the strength (add) or the value (clamp). */
  latents: Array<{ latent: number; value: number }>;
  /** First absolute position (0 = the first token fed, BOS included) intervened on; default 0, every position. */
  fromPosition?: number;
}

export function checkIntervention(iv: Intervention, sae: SaeRunner, nLayers: number): HookName {
  if (iv.mode !== 'add' && iv.mode !== 'clamp') throw new Error(`intervention mode must be add or clamp, got ${JSON.stringify(iv.mode)}`);
  if (iv.latents.length === 0) throw new Error('an intervention needs at least one latent');
  const seen = new Set<number>();
  iv.latents.forEach(({ latent, value }, i) => {
    if (!Number.isInteger(latent) || latent < 0 || latent >= sae.spec.dSae) {
      throw new Error(`latents[${i}] is ${latent}; the SAE has latents 0..${sae.spec.dSae - 1}`);
    }
    if (seen.has(latent)) throw new Error(`latent ${latent} is listed twice; give each latent once`);
    seen.add(latent);
    if (!Number.isFinite(value)) throw new Error(`the ${iv.mode === 'add' ? 'strength' : 'value'} of latent ${latent} must be a finite number, got ${value}`);
  });
  const from = iv.fromPosition ?? 0;
  if (!Number.isInteger(from) || from < 0) throw new Error(`fromPosition must be a non-negative integer, got ${from}`);
  try {
    return parseHookName(sae.spec.hookName, nLayers).name;
  } catch (err) {
    throw new Error(`the SAE's hook_name does not fit this model: ${(err as Error).message}`);
  }
}

/**
 * A hook applying `iv` at the SAE's site. It counts the positions it has seen, so through a KV-cached
 * generate (the prompt first, then one token per step) `fromPosition` stays an absolute position:
 * make a new hook for every run or generate call.
 */
export function interventionHook(sae: SaeRunner, iv: Intervention, nLayers: number): Hook {
  const name = checkIntervention(iv, sae, nLayers);
  const from = iv.fromPosition ?? 0;
  let seen = 0;
  return {
    name,
    fn: (activation) => {
      const [batch, pos, dIn] = activation.shape as [number, number, number];
      const offset = seen;
      seen += pos;
      if (dIn !== sae.spec.dIn) throw new Error(`${name} has width ${dIn}, but the SAE reads d_in ${sae.spec.dIn}`);
      if (offset + pos <= from) return undefined;
      return tf.tidy(() => {
        const x = activation as tf.Tensor3D; // [batch, pos, d_in]
        const rowMask = tf.tensor1d(Array.from({ length: pos }, (_, p) => (offset + p >= from ? 1 : 0))).reshape([1, pos, 1]); // [1, pos, 1]
        const delta = iv.mode === 'add' ? addDelta(sae, iv) : clampDelta(sae, iv, x.reshape([batch * pos, dIn]) as tf.Tensor2D).reshape([batch, pos, dIn]); // [.., d_in]
        return x.add(delta.mul(rowMask)); // [batch, pos, d_in]
      });
    },
  };
}

/** Σ strength × W_dec[latent]: [d_in]. */
function addDelta(sae: SaeRunner, iv: Intervention): tf.Tensor1D {
  const rows = sae.decoderRows(iv.latents.map((l) => l.latent)); // [n, d_in]
  const strengths = tf.tensor2d(iv.latents.map((l) => l.value), [iv.latents.length, 1]); // [n, 1]
  return rows.mul(strengths).sum(0); // [d_in]
}

/** decode(z with the latents set) − decode(z), per token: [tokens, d_in]. */
function clampDelta(sae: SaeRunner, iv: Intervention, x: tf.Tensor2D): tf.Tensor2D {
  const { dSae } = sae.spec;
  const chosen = new Float32Array(dSae);
  const values = new Float32Array(dSae);
  for (const { latent, value } of iv.latents) {
    chosen[latent] = 1;
    values[latent] = value;
  }
  const z = sae.encode(x); // [tokens, d_sae]
  const norm = sae.inputNorm(x);
  const set = z.mul(tf.sub(1, tf.tensor1d(chosen))).add(tf.tensor1d(values)) as tf.Tensor2D; // [tokens, d_sae]
  return sae.decode(set, norm).sub(sae.decode(z, norm)); // [tokens, d_in]
}
