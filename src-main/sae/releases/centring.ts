// TransformerLens loads GPT-2 with center_writing_weights: every weight that writes to the residual
// stream has its mean over d_model removed, so the stream it hooks is C·x, with C = I − 11ᵀ/d, where
// Hugging Face's GPT-2 (which this app runs) gives x. LayerNorm removes the mean anyway, so the model
// computes the same function; only the hooked activations differ. An SAE trained on C·x is turned
// into one that reads x by folding C into its weights (C is symmetric and idempotent):
//   encoder  Wᵀ_enc(C·x − b_dec) + b_enc = (C·W_enc)ᵀ(x − C·b_dec) + b_enc − mean(b_dec)·1ᵀW_enc
//   decoder  C·(Wᵀ_dec·f + b_dec) = (W_dec·C)ᵀ·f + C·b_dec
// so latents are unchanged and reconstructions are projected on the centred subspace, where C·x lives.
import type { SaeBundle } from '../types.js';

const mean = (values: Float32Array, start: number, length: number, stride = 1): number => {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += values[start + i * stride];
  return sum / length;
};

/** `bundle` rewritten to read the uncentred residual stream; its latents on x equal the original's on C·x. */
export function foldResidualCentring(bundle: SaeBundle): SaeBundle {
  const { spec, weights } = bundle;
  if (spec.architecture === 'gated' || spec.normalizeActivations !== 'none') {
    throw new Error(`folding TransformerLens's residual centring supports ungated SAEs without input normalisation; this one is ${spec.architecture} with normalize_activations ${spec.normalizeActivations}`);
  }
  const { dIn, dSae } = spec;
  const bDecMean = mean(weights.b_dec, 0, dIn);
  const W_enc = new Float32Array(weights.W_enc);
  const b_enc = new Float32Array(weights.b_enc);
  for (let i = 0; i < dSae; i++) {
    const columnMean = mean(weights.W_enc, i, dIn, dSae);
    // Without apply_b_dec_to_input the encoder never sees b_dec, so only C·W_enc changes.
    if (spec.applyBDecToInput) b_enc[i] -= bDecMean * columnMean * dIn;
    for (let d = 0; d < dIn; d++) W_enc[d * dSae + i] -= columnMean;
  }
  const W_dec = new Float32Array(weights.W_dec);
  for (let i = 0; i < dSae; i++) {
    const rowMean = mean(weights.W_dec, i * dIn, dIn);
    for (let d = 0; d < dIn; d++) W_dec[i * dIn + d] -= rowMean;
  }
  const b_dec = weights.b_dec.map((v) => v - bDecMean);
  return { ...bundle, weights: { ...weights, W_enc, b_enc, W_dec, b_dec } };
}
