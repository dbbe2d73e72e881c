// Attribution of one next-token logit to SAE latents at the last position of a prompt.
//
// Direct effect: what a latent writes into the residual stream (its share of the SAE's decode),
// read through ln_final with its scale 1/σ frozen at the clean run's value, and the unembedding:
//   direct(c) = c · R,  R = (1/σ) · γ ⊙ W_U[target], centred (ln_final subtracts the mean of c too).
// Frozen, the readout is linear, so for one site the parts add up exactly to the target's logit:
//   logit = Σ direct(latents) + direct(error) + direct(b_dec) + direct(rest) + β · W_U[target],
// where `rest` is everything else in the final residual (what later layers write, and for an
// attn_out/mlp_out site the rest of the stream).
// Total effect: the latent removed at the last position only, its SAE error term kept
// (x' = x + decode(z without it) − decode(z)), the model run on, and the target's logit and
// log-prob compared: effect = clean − ablated, so a positive effect means the latent supports it.
import { tf } from '../engine/backend.js';
import type { Gpt2 } from '../model/gpt2.js';
import type { SaeRunner } from '../sae/inference.js';
import { blockHook, parseHookName, type HookName } from '../../src-shared/hooks.js';

/** Ablated copies of the prompt run at once. */
const ABLATION_BATCH = 32;

/** Sites whose activation is added into the residual stream (or is it), where a direct effect is defined. */
const RESIDUAL_KINDS = new Set(['embed', 'pos_embed', 'hook_resid_pre', 'hook_resid_mid', 'hook_resid_post', 'hook_attn_out', 'hook_mlp_out']);

/** A type, not an interface, so tf.tidy accepts it as a TensorContainer. */
export type Effect = {
  logit: number;
  logProb: number;
};

export interface LatentAttribution {
  latent: number;
  activation: number;
  direct: number;
  /** clean − ablated. */
  total: Effect;
}

export interface SiteAttribution {
  hookName: HookName;
  /** Active latents at the last position, by |total.logit| descending. */
  latents: LatentAttribution[];
  /** The SAE's reconstruction error x − x̂: its direct effect and the total effect of replacing x by x̂. */
  error: { direct: number; total: Effect };
  /** Direct effect of the decoder bias (with any input normalisation's mean and scale undone). */
  bias: number;
  /** Direct effect of the rest of the final residual stream. */
  rest: number;
}

export interface AttributionResult {
  target: number;
  logit: number;
  logProb: number;
  /** 1/σ of the final residual at the last position, frozen in every direct effect. */
  lnFinalScale: number;
  /** β · W_U[target]: ln_final's bias's part of the logit. */
  lnFinalBias: number;
  sites: SiteAttribution[];
  /** The model's ten likeliest next tokens with their probabilities. */
  next: Array<{ id: number; prob: number }>;
}

const NEXT_TOKENS = 10;

/** `ids` is what the model is fed; attribution is for the token after its last one. */
export function attribute(model: Gpt2, saes: SaeRunner[], ids: number[], target: number): AttributionResult {
  const c = model.config;
  if (!Number.isInteger(target) || target < 0 || target >= c.vocabSize) throw new Error(`target token ${target} is outside the vocabulary 0..${c.vocabSize - 1}`);
  if (saes.length === 0) throw new Error('attribution needs at least one SAE');
  const sites = saes.map((sae) => residualSite(sae, model));
  if (new Set(sites).size !== sites.length) throw new Error(`two SAEs read the same site (${sites.join(', ')}); attribute one SAE per site`);
  const finalResid = blockHook(c.nLayer - 1, 'hook_resid_post');
  const last = ids.length - 1;
  const tokens = tf.tensor2d([ids], [1, ids.length], 'int32'); // [1, pos]
  const { logits, cache } = model.run(tokens, { cache: [...sites, finalResid] });
  try {
    const lastLogits = tf.tidy(() => logits!.slice([0, last, 0], [1, 1, c.vocabSize]).reshape([1, c.vocabSize]) as tf.Tensor2D); // [1, vocab]
    const clean = tf.tidy(() => targetEffect(lastLogits, target))[0]!;
    const next = tf.tidy(() => {
      const { values, indices } = tf.topk(tf.softmax(lastLogits.reshape([-1])), NEXT_TOKENS); // [10] each
      const probs = values.dataSync();
      return Array.from(indices.dataSync(), (id, i) => ({ id, prob: probs[i]! }));
    });
    lastLogits.dispose();
    const at = (name: HookName) => cache.get(name)!.slice([0, last, 0], [1, 1, -1]).reshape([1, -1]) as tf.Tensor2D; // [1, d_model]
    const { lnF, eps, wte } = model.readout();
    const [readout, scale, lnFinalBias] = tf.tidy(() => {
      const r = at(finalResid); // [1, d_model]
      const { variance } = tf.moments(r, -1); // [1]
      const inv = variance.add(eps).rsqrt(); // [1]
      const unembed = wte.slice([target, 0], [1, c.nEmbd]).reshape([c.nEmbd]); // [d_model]
      const raw = unembed.mul(lnF.weight).mul(inv); // [d_model]
      return [raw.sub(raw.mean()), inv.dataSync()[0]!, lnF.bias.dot(unembed).dataSync()[0]!] as const; // readout: [d_model]
    });
    try {
      const siteResults = saes.map((sae, i) => attributeSite(model, sae, sites[i]!, tokens, at(sites[i]!), at(finalResid), readout, target));
      return { target, logit: clean.logit, logProb: clean.logProb, lnFinalScale: scale, lnFinalBias, sites: siteResults, next };
    } finally {
      readout.dispose();
    }
  } finally {
    tf.dispose([tokens, logits!, ...cache.values()]);
  }
}

/**
 * Total effects of removing each of `latents` (and, when asked, the SAE error) at the last position,
 * one ablated copy of the prompt per row. An inactive latent's row is the clean run, bit for bit.
 */
export function ablateAtLast(model: Gpt2, sae: SaeRunner, ids: number[], target: number, latents: number[], withError = false): { latents: Effect[]; error?: Effect } {
  const site = residualSite(sae, model);
  const tokens = tf.tensor2d([ids], [1, ids.length], 'int32'); // [1, pos]
  try {
    const { cache } = model.run(tokens, { cache: [site], stopAt: site });
    const x = tf.tidy(() => cache.get(site)!.slice([0, ids.length - 1, 0], [1, 1, -1]).reshape([1, -1]) as tf.Tensor2D); // [1, d_in]
    tf.dispose([...cache.values()]);
    try {
      const { deltas } = latentDeltas(sae, x, latents, withError);
      const effects = runAblations(model, tokens, site, deltas, target);
      deltas.dispose();
      return withError ? { latents: effects.slice(0, -1), error: effects.at(-1)! } : { latents: effects };
    } finally {
      x.dispose();
    }
  } finally {
    tokens.dispose();
  }
}

function residualSite(sae: SaeRunner, model: Gpt2): HookName {
  const site = parseHookName(sae.spec.hookName, model.config.nLayer);
  if (!RESIDUAL_KINDS.has(site.kind)) {
    throw new Error(`SAE on ${site.name}: attribution needs an SAE on a site that adds into the residual stream (hook_resid_pre/mid/post, hook_attn_out, hook_mlp_out)`);
  }
  if (sae.spec.dIn !== model.config.nEmbd) throw new Error(`SAE on ${site.name} reads d_in ${sae.spec.dIn}, but the model has d_model ${model.config.nEmbd}`);
  return site.name;
}

function attributeSite(
  model: Gpt2,
  sae: SaeRunner,
  site: HookName,
  tokens: tf.Tensor2D,
  x: tf.Tensor2D, // [1, d_model] at the last position
  final: tf.Tensor2D, // [1, d_model] final residual at the last position
  readout: tf.Tensor1D, // [d_model]
  target: number,
): SiteAttribution {
  const z = sae.encode(x); // [1, d_sae]
  const zs = z.dataSync();
  z.dispose();
  const active = Array.from(zs.keys()).filter((i) => zs[i]! > 0);
  const { deltas, bias, error } = latentDeltas(sae, x, active, true);
  const direct = (v: tf.Tensor) => tf.tidy(() => Array.from(tf.matMul(v.reshape([-1, readout.size]), readout.reshape([-1, 1])).dataSync())); // one per row
  const parts = tf.tidy(() => [direct(deltas.neg()), direct(bias), direct(error), direct(final.sub(x))] as const);
  const effects = runAblations(model, tokens, site, deltas, target);
  tf.dispose([deltas, bias, error, x, final]);
  const [latentDirect, [biasDirect], [errorDirect], [rest]] = parts;
  const latents = active.map((latent, i) => ({ latent, activation: zs[latent]!, direct: latentDirect[i]!, total: effects[i]! }));
  latents.sort((a, b) => Math.abs(b.total.logit) - Math.abs(a.total.logit) || a.latent - b.latent);
  return { hookName: site, latents, error: { direct: errorDirect!, total: effects.at(-1)! }, bias: biasDirect!, rest: rest! };
}

/**
 * Per latent, decode(z with it removed) − decode(z): [n (+1), d_in], the last row −error when asked.
 * Also the bias part decode(0) and the error x − decode(z), each [1, d_in].
 */
function latentDeltas(sae: SaeRunner, x: tf.Tensor2D, latents: number[], withError: boolean): { deltas: tf.Tensor2D; bias: tf.Tensor2D; error: tf.Tensor2D } {
  latents.forEach((latent, i) => {
    if (!Number.isInteger(latent) || latent < 0 || latent >= sae.spec.dSae) throw new Error(`latents[${i}] is ${latent}; the SAE has latents 0..${sae.spec.dSae - 1}`);
  });
  return tf.tidy(() => {
    const n = latents.length;
    const z = sae.encode(x); // [1, d_sae]
    const norm = sae.inputNorm(x);
    const full = sae.decode(z, norm); // [1, d_in]
    const keep = tf.sub(1, tf.oneHot(tf.tensor1d(latents, 'int32'), sae.spec.dSae)); // [n, d_sae]
    const removed = n > 0 ? sae.decode(z.mul(keep) as tf.Tensor2D, norm).sub(full) : tf.zeros([0, sae.spec.dIn]); // [n, d_in]
    const error = x.sub(full) as tf.Tensor2D; // [1, d_in]
    const bias = sae.decode(tf.zeros([1, sae.spec.dSae]), norm); // [1, d_in]
    const deltas = (withError ? tf.concat([removed, error.neg()]) : removed) as tf.Tensor2D; // [n (+1), d_in]
    return { deltas, bias, error };
  });
}

/**
 * Runs the prompt once per row of `deltas` [rows, d_in], adding the row at the site's last position,
 * and compares with an unchanged copy run in the same batch (so an all-zero row gives exactly 0).
 */
function runAblations(model: Gpt2, tokens: tf.Tensor2D, site: HookName, deltas: tf.Tensor2D, target: number): Effect[] {
  const [rows, dIn] = deltas.shape;
  const pos = tokens.shape[1];
  const out: Effect[] = [];
  for (let start = 0; start < rows; start += ABLATION_BATCH) {
    const n = Math.min(ABLATION_BATCH, rows - start);
    const [clean, ...ablated] = tf.tidy(() => {
      const batch = tf.tile(tokens, [n + 1, 1]) as tf.Tensor2D; // [n+1, pos]
      const lastOnly = tf.oneHot(tf.tensor1d([pos - 1], 'int32'), pos).reshape([1, pos, 1]); // [1, pos, 1]
      const rowsWithClean = tf.concat([tf.zeros([1, dIn]), deltas.slice([start, 0], [n, dIn])]); // [n+1, d_in]
      const add = rowsWithClean.reshape([n + 1, 1, dIn]).mul(lastOnly); // [n+1, pos, d_in]
      const { cache } = model.run(batch, {
        hooks: [{ name: site, fn: (x) => x.add(add) }],
        cache: ['ln_final.hook_normalized'],
        stopAt: 'ln_final.hook_normalized',
      });
      const normed = cache.get('ln_final.hook_normalized')!; // [n+1, pos, d_model]
      const logits = model.unembedNormalized(normed.slice([0, pos - 1, 0], [n + 1, 1, -1]).reshape([n + 1, -1]) as tf.Tensor2D); // [n+1, vocab]
      return targetEffect(logits, target);
    });
    for (const e of ablated) out.push({ logit: clean!.logit - e.logit, logProb: clean!.logProb - e.logProb });
  }
  return out;
}

/** The target's logit and log-prob in each row of logits [rows, vocab]. */
function targetEffect(logits: tf.Tensor2D, target: number): Effect[] {
  const rows = logits.shape[0];
  const logit = logits.slice([0, target], [rows, 1]).dataSync();
  const logProb = tf.logSoftmax(logits).slice([0, target], [rows, 1]).dataSync();
  return Array.from({ length: rows }, (_, i) => ({ logit: logit[i]!, logProb: logProb[i]! }));
}
