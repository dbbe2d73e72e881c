// Direct feature attribution: which parts of the model write an SAE latent's pre-activation at a
// token. The activation at the SAE's site is a sum of what the token and position embeddings, each
// attention head (z_h · W_O[h], TransformerLens's `hook_result`), each layer's attention bias b_O and
// each MLP wrote into the residual stream (TransformerLens's `decompose_resid`). With the per-token
// scales held at their values on this token (the model's LayerNorm σ when the site is
// ln1/ln_final.hook_normalized, and the SAE's own input normalisation), the pre-activation
// sae_in · W_enc[:, latent] + b_enc is linear in that sum, so each part's share is its normalised
// vector · W_enc[:, latent]. The shares add up to the pre-activation minus `bias` (b_enc − b_dec ·
// W_enc[:, latent] when the SAE subtracts b_dec from its input; b_gate for gated SAEs).
import { tf } from '../engine/backend.js';
import type { Gpt2 } from '../model/gpt2.js';
import type { SaeRunner } from '../sae/inference.js';
import { constantScale } from '../sae/types.js';
import type { SaeBundle } from '../sae/types.js';
import type { FeatureHeadsResult } from '../../src-shared/api.js';
import { blockHook, parseHookName, type HookName } from '../../src-shared/hooks.js';

export type ComponentKind = 'embed' | 'pos_embed' | 'head' | 'attn_bias' | 'mlp' | 'ln_bias';

export interface Component {
  /** "embed", "pos_embed", "L3H7", "L3 attn bias", "L3 MLP", "ln1 bias", "ln_final bias". */
  name: string;
  kind: ComponentKind;
  layer: number | null;
  head: number | null;
}

export interface DecompositionAt {
  position: number;
  /** The latent's pre-activation at this token, computed from the site's activation itself. */
  preActivation: number;
  /** The constant part of the pre-activation; Σ contributions = preActivation − bias. */
  bias: number;
  /** One per component, in `components` order. */
  contributions: number[];
}

export interface Decomposition {
  components: Component[];
  at: DecompositionAt[];
  /** How the per-token scales were treated, in words, for the reader of the numbers. */
  frozen: string;
}

/** Which writers into the residual stream make up the site's activation. */
interface SitePlan {
  embeds: boolean;
  attnLayers: number[];
  mlpLayers: number[];
  /** The model LayerNorm between the residual and the site, and the hook holding its input. */
  ln: { which: 'ln1' | 'ln_final'; layer: number; input: HookName } | null;
}

function planSite(hookName: string, nLayer: number): SitePlan {
  const site = parseHookName(hookName, nLayer);
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);
  const L = site.layer;
  switch (site.kind) {
    case 'hook_resid_pre':
      return { embeds: true, attnLayers: upTo(L), mlpLayers: upTo(L), ln: null };
    case 'ln1.hook_normalized':
      return { embeds: true, attnLayers: upTo(L), mlpLayers: upTo(L), ln: { which: 'ln1', layer: L, input: blockHook(L, 'hook_resid_pre') } };
    case 'hook_attn_out':
      return { embeds: false, attnLayers: [L], mlpLayers: [], ln: null };
    case 'hook_resid_mid':
      return { embeds: true, attnLayers: upTo(L + 1), mlpLayers: upTo(L), ln: null };
    case 'hook_mlp_out':
      return { embeds: false, attnLayers: [], mlpLayers: [L], ln: null };
    case 'hook_resid_post':
      return { embeds: true, attnLayers: upTo(L + 1), mlpLayers: upTo(L + 1), ln: null };
    case 'ln_final':
      return { embeds: true, attnLayers: upTo(nLayer), mlpLayers: upTo(nLayer), ln: { which: 'ln_final', layer: nLayer, input: blockHook(nLayer - 1, 'hook_resid_post') } };
    default:
      throw new Error(
        `direct attribution needs an SAE on the residual stream, an attention or MLP output, or a LayerNorm output; ${hookName} is not a sum of component outputs`,
      );
  }
}

/**
 * Splits latent `latent`'s pre-activation at each of `positions` of the sequence `ids` (fed as is,
 * BOS included if wanted) into the parts of the model that wrote it.
 */
export function decomposePreActivation(model: Gpt2, bundle: SaeBundle, runner: SaeRunner, ids: number[], positions: number[], latent: number): Decomposition {
  const { spec, weights } = bundle;
  const { nLayer, nHead, nEmbd: d, layerNormEpsilon } = model.config;
  if (!Number.isInteger(latent) || latent < 0 || latent >= spec.dSae) throw new Error(`latent ${latent} is out of range: the SAE has latents 0..${spec.dSae - 1}`);
  positions.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 0 || p >= ids.length) throw new Error(`positions[${i}] is ${p}, outside the sequence's positions 0..${ids.length - 1}`);
  });
  if (spec.dIn !== d) throw new Error(`the SAE reads d_in ${spec.dIn}, but the model's residual width is ${d}`);
  if (spec.architecture !== 'gated' && !weights.b_enc) throw new Error('the SAE has no b_enc');
  const plan = planSite(spec.hookName, nLayer);
  const site = parseHookName(spec.hookName, nLayer).name;

  const components: Component[] = [];
  if (plan.embeds) components.push({ name: 'embed', kind: 'embed', layer: null, head: null }, { name: 'pos_embed', kind: 'pos_embed', layer: null, head: null });
  for (let layer = 0; layer < nLayer; layer++) {
    if (plan.attnLayers.includes(layer)) {
      for (let head = 0; head < nHead; head++) components.push({ name: `L${layer}H${head}`, kind: 'head', layer, head });
      components.push({ name: `L${layer} attn bias`, kind: 'attn_bias', layer, head: null });
    }
    if (plan.mlpLayers.includes(layer)) components.push({ name: `L${layer} MLP`, kind: 'mlp', layer, head: null });
  }
  if (plan.ln) components.push({ name: `${plan.ln.which} bias`, kind: 'ln_bias', layer: plan.ln.layer < nLayer ? plan.ln.layer : null, head: null });

  const names = new Set<HookName>([site]);
  if (plan.embeds) ['hook_embed', 'hook_pos_embed'].forEach((n) => names.add(n as HookName));
  for (const l of plan.attnLayers) [blockHook(l, 'ln1.hook_normalized'), blockHook(l, 'attn.hook_pattern')].forEach((n) => names.add(n));
  for (const l of plan.mlpLayers) names.add(blockHook(l, 'hook_mlp_out'));
  if (plan.ln) names.add(plan.ln.input);

  const at = tf.tensor1d(positions, 'int32');
  const tokens = tf.tensor2d([ids], [1, ids.length], 'int32'); // [1, pos]
  const { cache } = model.run(tokens, { cache: [...names], stopAt: site });
  tokens.dispose();
  try {
    /** Rows `positions` of a cached [1, pos, d] activation: [n][d]. */
    const rowsOf = (name: HookName): number[][] => tf.tidy(() => tf.gather(cache.get(name)!.reshape([ids.length, -1]), at).arraySync() as number[][]);
    // Per layer, every head's output at the positions: [head][n][d].
    const headOutputs = new Map<number, number[][][]>();
    for (const layer of plan.attnLayers) headOutputs.set(layer, headsAt(model, layer, cache.get(blockHook(layer, 'ln1.hook_normalized'))!, cache.get(blockHook(layer, 'attn.hook_pattern'))!, at));
    const embeds = plan.embeds ? [rowsOf('hook_embed'), rowsOf('hook_pos_embed')] : [];
    const mlps = new Map(plan.mlpLayers.map((l) => [l, rowsOf(blockHook(l, 'hook_mlp_out'))]));
    const siteRows = rowsOf(site);
    const lnInputs = plan.ln ? rowsOf(plan.ln.input) : null;
    const ln = plan.ln ? (plan.ln.which === 'ln1' ? model.blockWeights(plan.ln.layer).ln1 : model.readout().lnF) : null;
    const lnGain = ln ? Array.from(ln.weight.dataSync()) : null;
    const lnBias = ln ? Array.from(ln.bias.dataSync()) : null;
    const attnBias = new Map(plan.attnLayers.map((l) => [l, Array.from(model.blockWeights(l).attn.projBias.dataSync())]));

    const w = Array.from({ length: d }, (_, j) => weights.W_enc[j * spec.dSae + latent]!); // W_enc[:, latent]
    const bDecW = spec.applyBDecToInput ? dot(Array.from(weights.b_dec), w) : 0;
    const bias = (spec.architecture === 'gated' ? weights.b_gate![latent]! : weights.b_enc[latent]!) - bDecW;
    const saeNorm = saeNormalisation(runner, siteRows);

    const results = positions.map((position, i): DecompositionAt => {
      const parts: number[][] = [];
      if (plan.embeds) parts.push(embeds[0]![i]!, embeds[1]![i]!);
      for (let layer = 0; layer < nLayer; layer++) {
        const heads = headOutputs.get(layer);
        if (heads) parts.push(...heads.map((h) => h[i]!), attnBias.get(layer)!);
        const mlp = mlps.get(layer);
        if (mlp) parts.push(mlp[i]!);
      }
      // The model's LayerNorm with σ frozen: each part is centred and scaled; its bias is a part of its own.
      let normalised = parts;
      if (lnInputs) {
        const x = lnInputs[i]!;
        const mean = x.reduce((a, b) => a + b, 0) / d;
        const sigma = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / d + layerNormEpsilon);
        normalised = [...parts.map((c) => centre(c).map((v, j) => (v * lnGain![j]!) / sigma)), lnBias!];
      }
      const toSaeIn = saeNorm(i);
      return {
        position,
        preActivation: dot(toSaeIn(siteRows[i]!), w) + bias,
        bias,
        contributions: normalised.map((c) => dot(toSaeIn(c), w)),
      };
    });
    const frozen = [
      plan.ln ? `${plan.ln.which}'s scale 1/σ is held at its value on each token (its bias is listed as a part)` : null,
      spec.normalizeActivations === 'layer_norm' || spec.normalizeActivations === 'constant_norm_rescale' ? `the SAE's ${spec.normalizeActivations} input scale is held at its value on each token` : null,
    ].filter((s) => s !== null);
    return { components, at: results, frozen: frozen.length > 0 ? frozen.join('; ') : 'nothing: the pre-activation is exactly linear in the parts' };
  } finally {
    at.dispose();
    tf.dispose([...cache.values()]);
  }
}

/** The split at several contexts (each fed as is, read at its position), with each part's mean share, largest first. */
export function featureHeads(model: Gpt2, bundle: SaeBundle, runner: SaeRunner, contexts: Array<{ ids: number[]; position: number }>, latent: number): FeatureHeadsResult {
  if (contexts.length === 0) throw new Error('direct attribution needs at least one context');
  const splits = contexts.map(({ ids, position }) => decomposePreActivation(model, bundle, runner, ids, [position], latent));
  const components = splits[0]!.components.map((component, c) => {
    const values = splits.map((s) => s.at[0]!.contributions[c]!);
    return { ...component, mean: values.reduce((a, b) => a + b, 0) / values.length, values };
  });
  return {
    hookName: bundle.spec.hookName,
    frozen: splits[0]!.frozen,
    contexts: splits.map((s) => ({ position: s.at[0]!.position, preActivation: s.at[0]!.preActivation, bias: s.at[0]!.bias })),
    components: components.sort((a, b) => Math.abs(b.mean) - Math.abs(a.mean)),
  };
}

/** Each head's output z_h · W_O[h] at the positions, without b_O: [head][n][d_model]. */
function headsAt(model: Gpt2, layer: number, normed: tf.Tensor, pattern: tf.Tensor, at: tf.Tensor1D): number[][][] {
  const { nHead, nEmbd: d } = model.config;
  const dHead = d / nHead;
  const pos = normed.shape[1]!;
  const { qkvWeight, qkvBias, projWeight } = model.blockWeights(layer).attn;
  return tf.tidy(() => {
    const wv = qkvWeight.slice([0, 2 * d], [d, d]); // [d_model, d_model]
    const bv = qkvBias.slice([2 * d], [d]); // [d_model]
    const v = normed.reshape([pos, d]).matMul(wv).add(bv).reshape([pos, nHead, dHead]).transpose([1, 0, 2]) as tf.Tensor3D; // [head, pos, d_head]
    const rows = tf.gather(pattern.reshape([nHead, pos, pos]), at, 1) as tf.Tensor3D; // [head, n, pos]
    const z = tf.matMul(rows, v); // [head, n, d_head]
    return tf.matMul(z, projWeight.reshape([nHead, dHead, d]) as tf.Tensor3D).arraySync() as number[][][]; // [head, n, d_model]
  });
}

/**
 * Per token i, the SAE's input processing with its per-token statistics frozen at that token:
 * centring (layer_norm) and scaling are linear in the parts; b_dec goes into the bias.
 */
function saeNormalisation(runner: SaeRunner, siteRows: number[][]): (i: number) => (c: number[]) => number[] {
  const x = tf.tensor2d(siteRows); // [n, d_in]
  const norm = runner.inputNorm(x);
  x.dispose();
  if (!norm) {
    const scale = constantScale(runner.spec);
    return () => (c) => c.map((v) => v * scale);
  }
  const inScale = Array.from(norm.inScale.dataSync());
  const centred = norm.mean !== undefined;
  tf.dispose([norm.mean, norm.inScale, norm.outScale].filter((t) => t !== undefined));
  return (i) => (c) => (centred ? centre(c) : c).map((v) => v * inScale[i]!);
}

function centre(c: number[]): number[] {
  const mean = c.reduce((a, b) => a + b, 0) / c.length;
  return c.map((v) => v - mean);
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}
