// Picks the next token from one position's logits, on the host: greedy, or sampled with temperature
// and top-k from a seeded generator so a seed reproduces the same text.
import { seededRandom } from '../../src-shared/random.js';

export interface SamplingOptions {
  /** Softmax temperature; 0 picks the most likely token (greedy). Default 1. */
  temperature?: number;
  /** Sample only among the k most likely tokens; default: all. */
  topK?: number;
  /** Seed of the sampling generator; default: a random one. */
  seed?: number;
}

export function checkSamplingOptions(opts: SamplingOptions, vocabSize: number): void {
  const { temperature, topK, seed } = opts;
  if (temperature !== undefined && !(Number.isFinite(temperature) && temperature >= 0)) {
    throw new Error(`temperature must be a number >= 0 (0 = greedy), got ${temperature}`);
  }
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1 && topK <= vocabSize)) {
    throw new Error(`topK must be an integer in 1..${vocabSize}, got ${topK}`);
  }
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
}

function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Returns a function from logits [vocab] to a token id; call it once per generated token. */
export function tokenSampler(opts: SamplingOptions): (logits: Float32Array) => number {
  const temperature = opts.temperature ?? 1;
  if (temperature === 0) return argmax;
  const uniform = seededRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
  return (logits) => {
    let candidates = Array.from(logits.keys());
    if (opts.topK !== undefined && opts.topK < logits.length) {
      candidates = candidates.sort((a, b) => logits[b] - logits[a] || a - b).slice(0, opts.topK);
    }
    let max = -Infinity;
    for (const i of candidates) max = Math.max(max, logits[i]);
    const weights = candidates.map((i) => Math.exp((logits[i] - max) / temperature));
    let remaining = uniform() * weights.reduce((a, b) => a + b, 0);
    for (let j = 0; j < candidates.length; j++) {
      remaining -= weights[j];
      if (remaining < 0) return candidates[j];
    }
    return candidates[candidates.length - 1];
  };
}
