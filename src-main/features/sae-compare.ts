// Compares any two SAEs at one site: their latents matched one to one by decoder cosine
// (latent-matching.ts), then every matched pair confirmed by the Pearson correlation of its
// activations on the same held-out tokens (counterparts.ts's MatchedCorrelation), each SAE reading
// its own model. The result says how much of each dictionary the other one also learnt.
import type { HookedModel } from '../data/activations.js';
import { modelActivationSource } from '../data/onnx-activations.js';
import type { WindowTokenizer } from '../data/windows.js';
import type { SaeRunner } from '../sae/inference.js';
import type { SaeBundle } from '../sae/types.js';
import { heldOutWindows } from '../train/eval.js';
import type { ComparedSae, MatchedPair, SaeComparison, UnmatchedLatent } from '../../src-shared/api/compare.js';
import type { HookName } from '../../src-shared/hooks.js';
import { forEachEncodedBatch, MatchedCorrelation, type MatchMember } from './counterparts.js';
import { HUNGARIAN_MAX, matchLatents, type LatentMatching, type MatchMethod } from './latent-matching.js';

/** Decoder cosine from which two latents count as the same feature: Gao et al.'s "similar" bar. */
export const MATCHED_AT = 0.7;
/** Width of the histogram's cosine bins and the curve's threshold steps. */
export const BIN_WIDTH = 0.05;

export interface CompareSide {
  /** SaeEntry id (or folder) and model name, as the result names them. */
  sae: string;
  model: string;
  bundle: SaeBundle;
  runner: SaeRunner;
  /** The GPT-2 it reads; pass the same object for both sides when they share one model. */
  gpt2: HookedModel & { config: { nPositions: number; vocabSize: number } };
}

export interface CompareOptions {
  /** Corpus spec (openCorpus); its held-out split is used. */
  corpus: string;
  /** How the result names the dataset. */
  dataset: string;
  tokenizer: WindowTokenizer;
  /** Activation tokens to correlate on (BOS excluded); rounded up to whole windows. */
  tokens: number;
  threshold?: number;
  /** Windows per forward pass; default 8. */
  batchWindows?: number;
  method?: MatchMethod | 'auto';
  onProgress?: (phase: string, done: number, total: number) => void;
  signal?: AbortSignal;
}

export type Comparison = Omit<SaeComparison, 'id' | 'createdAt'>;

function describe(side: CompareSide): ComparedSae {
  const { spec } = side.bundle;
  return { sae: side.sae, model: side.model, dSae: spec.dSae, architecture: spec.architecture, hookName: spec.hookName, dIn: spec.dIn };
}

/** Refuses two SAEs that do not read the same site, naming what differs. */
export function checkSameSite(a: ComparedSae, b: ComparedSae): void {
  if (a.hookName !== b.hookName) throw new Error(`${a.sae} reads ${a.hookName} but ${b.sae} reads ${b.hookName}; only SAEs at the same hook can be compared`);
  if (a.dIn !== b.dIn) throw new Error(`${a.sae} has d_in ${a.dIn} but ${b.sae} has d_in ${b.dIn}; only SAEs of the same width can be compared`);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Latents of one side without a partner at the threshold, lowest best cosine first. */
function unmatched(n: number, partner: Map<number, { other: number; cosine: number }>, best: Float32Array, threshold: number): UnmatchedLatent[] {
  const out: UnmatchedLatent[] = [];
  for (let latent = 0; latent < n; latent++) {
    const p = partner.get(latent);
    if (p && p.cosine >= threshold) continue;
    out.push({ latent, partner: p?.other ?? null, partnerCosine: p?.cosine ?? null, bestCosine: best[latent]! });
  }
  return out.sort((x, y) => x.bestCosine - y.bestCosine || x.latent - y.latent);
}

/** The comparison's figures from a matching and its pairs' correlations (in the matching's order). */
export function summarise(matching: LatentMatching, correlations: Float32Array, threshold: number): Pick<SaeComparison, 'matched' | 'shareMatchedA' | 'shareMatchedB' | 'medianCorrelation' | 'histogram' | 'curve' | 'pairs' | 'unmatchedA' | 'unmatchedB'> {
  const nA = matching.bestA.length;
  const nB = matching.bestB.length;
  const pairs: MatchedPair[] = Array.from(matching.a, (a, p) => ({ a, b: matching.b[p]!, cosine: matching.cosine[p]!, correlation: correlations[p]! }));
  pairs.sort((x, y) => y.cosine - x.cosine || x.a - y.a);
  const above = pairs.filter((p) => p.cosine >= threshold);
  const bins = Math.round(1 / BIN_WIDTH);
  const counts = new Array<number>(bins).fill(0);
  for (const p of pairs) counts[Math.min(bins - 1, Math.max(0, Math.floor(p.cosine / BIN_WIDTH)))]!++;
  const curve = Array.from({ length: bins + 1 }, (_, i) => {
    const t = Number((i * BIN_WIDTH).toFixed(2));
    const n = pairs.filter((p) => p.cosine >= t).length;
    return { threshold: t, shareA: n / nA, shareB: n / nB };
  });
  const partnerOfA = new Map(pairs.map((p) => [p.a, { other: p.b, cosine: p.cosine }]));
  const partnerOfB = new Map(pairs.map((p) => [p.b, { other: p.a, cosine: p.cosine }]));
  return {
    matched: above.length,
    shareMatchedA: above.length / nA,
    shareMatchedB: above.length / nB,
    medianCorrelation: median(above.map((p) => p.correlation)),
    histogram: { binWidth: BIN_WIDTH, counts },
    curve,
    pairs,
    unmatchedA: unmatched(nA, partnerOfA, matching.bestA, threshold),
    unmatchedB: unmatched(nB, partnerOfB, matching.bestB, threshold),
  };
}

export async function compareSaes(a: CompareSide, b: CompareSide, options: CompareOptions): Promise<Comparison> {
  const threshold = options.threshold ?? MATCHED_AT;
  if (!(threshold >= 0 && threshold <= 1)) throw new Error(`threshold must be a decoder cosine in 0..1, got ${threshold}`);
  if (!Number.isInteger(options.tokens) || options.tokens < 1) throw new Error(`tokens must be a positive integer, got ${options.tokens}`);
  const batch = options.batchWindows ?? 8;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batchWindows must be a positive integer (windows per forward pass), got ${batch}`);
  const sideA = describe(a);
  const sideB = describe(b);
  checkSameSite(sideA, sideB);
  const sameModel = a.gpt2 === b.gpt2;
  const notes: string[] = [];
  if (!sameModel) {
    if (a.gpt2.config.vocabSize !== b.gpt2.config.vocabSize) throw new Error(`${a.model} has ${a.gpt2.config.vocabSize} tokens but ${b.model} has ${b.gpt2.config.vocabSize}; the two models must read the same token ids`);
    notes.push(
      `The SAEs read different models (${a.model}, ${b.model}): their decoder directions live in two residual streams, so cosines mean something only where the bases agree (a fine-tune, a late checkpoint); the activation correlations, on the same tokens, hold either way.`,
    );
  }

  options.onProgress?.('matching decoders', 0, 1);
  const d = sideA.dIn;
  const matching = await matchLatents({ wDec: a.bundle.weights.W_dec, n: sideA.dSae }, { wDec: b.bundle.weights.W_dec, n: sideB.dSae }, d, { method: options.method });
  options.signal?.throwIfAborted();

  const contextSize = Math.min(a.bundle.spec.contextSize, b.bundle.spec.contextSize, a.gpt2.config.nPositions, b.gpt2.config.nPositions);
  const wanted = Math.ceil(options.tokens / (contextSize - 1));
  options.onProgress?.('reading held-out windows', 0, wanted);
  const { windows, indices } = await heldOutWindows({ dataset: options.corpus, tokenizer: options.tokenizer, signal: options.signal }, contextSize, wanted);
  const count = Math.min(wanted, indices.length);
  if (count === 0) throw new Error(`${options.dataset} has no held-out window of ${contextSize} tokens to correlate on; use a longer dataset`);
  const hook = sideA.hookName as HookName;
  const sourceA = modelActivationSource(a.gpt2, windows, hook, batch);
  const members: MatchMember[] = [
    { source: sourceA, runner: a.runner },
    { source: sameModel ? sourceA : modelActivationSource(b.gpt2, windows, hook, batch), runner: b.runner },
  ];
  const correlation = new MatchedCorrelation(matching.a, matching.b);
  let correlations: Float32Array;
  try {
    await forEachEncodedBatch(
      members,
      { windows: Array.from({ length: count }, (_, i) => indices[i]!), batchWindows: batch, signal: options.signal, onProgress: (done, total) => options.onProgress?.('correlating activations', done * (windows.contextSize - 1), total * (windows.contextSize - 1)) },
      ([la, lb]) => correlation.add(la!, lb!),
    );
    correlations = correlation.correlations();
  } finally {
    correlation.dispose();
  }
  const figures = summarise(matching, correlations, threshold);
  if (figures.pairs.every((p) => p.correlation === 0)) notes.push(`No matched pair fired together on the ${count * (windows.contextSize - 1)} tokens: the correlations say nothing; use more tokens or another dataset.`);
  return {
    a: sideA,
    b: sideB,
    sameModel,
    method: matching.method,
    hungarianMax: HUNGARIAN_MAX,
    threshold,
    dataset: options.dataset,
    tokens: count * (windows.contextSize - 1),
    notes,
    ...figures,
  };
}
