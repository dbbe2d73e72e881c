// The memory a harvest needs, estimated before anything is allocated, and its check against the
// machine (the budget train/memory.ts defines). Nothing here grows with the tokens harvested: the
// passes stream batches, the trackers are fixed-size typed arrays sized by latents and the config,
// and the top-k codes between the passes go to disk (code-spill.ts). Per SAE of n latents (f32
// unless said), with W = before + 1 + after tokens per context and a context slot of 14 + 4W bytes
// (activation, W activations, length, peak index, window, position; the tokens are read back from
// the windows, which the harvest holds anyway):
//   statistics  n · (8 + 8 + 4 + 4 · 60)                         fires, sums, max, log histogram
//   profile     n · (4 · dims + 8)                               random-projected activation profile (dims 256 to 4,096, ≤ 16 MiB), activation total
//   top-N       n · topN · (slot + 4) + n · (4 + 16)             slots, heap, counts, window peaks
//   quantiles   n · I · (P · slot + 8 + 16)                      I intervals × P samples, seen, peaks
//   weights     2 · (2 d n + 2n + d)                             the SAE on the host and on the engine
// At the defaults (40 contexts, 24 + 1 + 8 tokens, 10 × 5 samples) the trackers take 13.8 KB per
// latent and the profile 1 KB: a 16k + 64k + 256k family (344,064 latents) needs 4.4 GiB for the
// trackers, 0.33 GiB for the profiles, 10.1 GiB in all with
// the SAEs' weights (1.97 GiB on the host and again on the engine), GPT-2 small and two logit-effect
// workers (0.4 GiB each: the unembedding and a block); the main engine at its
// fullest holds 2.6 GiB, within one wasm heap. The engine holds the model throughout; during the
// passes every SAE of the site and an encoder's [rows, n] pre-activations (at most 2^24 per block for
// top-k codes), after them a block of logit effects or the neighbour search's normalised decoder.
import { gib, gpt2WeightBytes, type MemoryBudget } from '../train/memory.js';
import type { Gpt2Config } from '../model/config.js';
import { profileDims } from './activation-profile.js';
import { ACT_HISTOGRAM } from './latent-stats.js';
import type { HarvestConfig } from './harvest-config.js';
import { encodeBlockRows } from './harvest.js';

const F32 = 4;
/** Bytes of one captured context of `width` tokens (context-slots.ts's arrays). */
const slotBytes = (width: number) => 14 + 4 * width;
/** WindowPeaks: value, row, latent, touched per cell. */
const PEAK_CELL = 16;
/** Live [rows, n] blocks of an encode: the matMul's output and the biased pre-activations. */
const ENCODE_BLOCKS = 2;

export interface HarvestMemoryRequest {
  /** Width of the hook's activations. */
  dIn: number;
  /** Latents of each SAE harvested together at the site. */
  sizes: number[];
  config: HarvestConfig;
  /** Tokens per window including BOS. */
  contextSize: number;
  model: Gpt2Config;
  /** Latents per logit-effect block (logit-effects.ts); 0 when none are computed. */
  logitBlockRows: number;
  /** Largest [rows, nB] cosine block of the neighbour search, in elements. */
  neighbourBlockElements: number;
  /** Some SAE of the site has no top-k code, so its batch comes to the host dense, [rows, n]. */
  denseCodes: boolean;
  /** Worker threads computing logit effects, each with its own unembedding and block (logit-pool.ts). */
  logitWorkers: number;
}

export interface HarvestSaeMemory {
  dSae: number;
  statistics: number;
  profile: number;
  top: number;
  quantiles: number;
  /** The SAE's weights, on the host and on the tensor engine. */
  weights: number;
  total: number;
}

export interface HarvestMemoryEstimate {
  perSae: HarvestSaeMemory[];
  /** The model's weights and one batch of activations (dense codes too, when an SAE has no top-k code). */
  shared: number;
  /** The most the tensor engine holds beyond the model at once: the SAEs' weights and an encode block during the passes, else a block of logit effects or of cosines. */
  temporaries: number;
  total: number;
  /** What the tensor-engine instance holds at its fullest: the model, the batch and the temporaries. */
  instance: number;
}

export function trackerBytes(n: number, config: HarvestConfig): Pick<HarvestSaeMemory, 'statistics' | 'profile' | 'top' | 'quantiles'> {
  const slot = slotBytes(config.context.before + 1 + config.context.after);
  const { intervals, perInterval } = config.quantiles;
  return {
    statistics: n * (8 + 8 + 4 + 4 * ACT_HISTOGRAM.bins),
    profile: n * (F32 * profileDims(n, config.profile) + 8),
    top: n * config.topN * (slot + 4) + n * (4 + PEAK_CELL),
    quantiles: n * intervals * (perInterval * slot + 8 + PEAK_CELL),
  };
}

export function estimateHarvestMemory(r: HarvestMemoryRequest): HarvestMemoryEstimate {
  const rows = r.config.batchWindows * (r.contextSize - 1);
  const perSae = r.sizes.map((n) => {
    const weights = 2 * F32 * (2 * r.dIn * n + 2 * n + r.dIn);
    const trackers = trackerBytes(n, r.config);
    return { dSae: n, ...trackers, weights, total: trackers.statistics + trackers.profile + trackers.top + trackers.quantiles + weights };
  });
  const model = gpt2WeightBytes(r.model);
  const batch = 2 * rows * r.dIn * F32;
  const largest = Math.max(...r.sizes);
  // Top-k codes are encoded in blocks of under MAX_DENSE_ELEMENTS pre-activations; dense ones whole.
  const encodeRows = r.denseCodes ? rows : Math.min(rows, encodeBlockRows(largest));
  const encode = ENCODE_BLOCKS * encodeRows * largest * F32;
  // The product, its transpose, its negation and the two copies with tied tokens masked; and W_U.
  const logits = r.logitBlockRows * r.model.vocabSize * 5 * F32 + r.dIn * r.model.vocabSize * F32;
  // B as uploaded and normalised: two [n, d] copies while the search sets up; a block and its transpose.
  const neighbours = 2 * r.neighbourBlockElements * F32 + 2 * r.dIn * largest * F32;
  // The passes hold every SAE of the site on the engine; their runners are gone before the logit
  // effects and the neighbours, which run one after another.
  const engineWeights = perSae.reduce((sum, s) => sum + s.weights / 2, 0);
  const temporaries = Math.max(engineWeights + encode, logits, neighbours);
  const shared = model + batch + (r.denseCodes ? rows * largest * F32 : 0);
  const workers = r.logitBlockRows > 0 ? r.logitWorkers * logits : 0;
  const total = shared + temporaries + workers + perSae.reduce((sum, s) => sum + s.total - s.weights / 2, 0);
  const instance = model + batch + temporaries;
  return { perSae, shared, temporaries, total, instance };
}

/** Throws when the harvest cannot fit, with what it needs (per size) and what the machine has; otherwise returns the estimate. */
export function checkHarvestMemory(request: HarvestMemoryRequest, budget: MemoryBudget): HarvestMemoryEstimate {
  const estimate = estimateHarvestMemory(request);
  const breakdown = `${estimate.perSae.map((s) => `${s.dSae} latents ${gib(s.total)} (contexts ${gib(s.top + s.quantiles)})`).join(', ')}, model and batch ${gib(estimate.shared)}, temporaries ${gib(estimate.temporaries)}`;
  if (estimate.total > budget.systemBytes) {
    throw new Error(`harvest needs about ${gib(estimate.total)} (${breakdown}), but this machine has ${gib(budget.systemBytes)}; harvest fewer sizes at once (one --sae at a time), or keep fewer contexts (topN, quantiles.perInterval)`);
  }
  if (budget.instanceBytes !== null && estimate.instance > budget.instanceBytes) {
    throw new Error(`harvest needs about ${gib(estimate.instance)} in one tensor instance (${breakdown}), but ${budget.instanceName} holds at most ${gib(budget.instanceBytes)}; harvest fewer sizes at once (one --sae at a time)`);
  }
  return estimate;
}
