// Steering: the same prompt continued twice with the KV-cached generator, once as the model is and
// once with an SAE intervention, with one sampling seed for both so any difference is the intervention's.
import type { Gpt2 } from '../model/gpt2.js';
import type { SamplingOptions } from '../model/sample.js';
import type { SaeRunner } from '../sae/inference.js';
import { interventionHook, type Intervention } from './intervention.js';

export interface SteerOptions extends SamplingOptions {
  maxNewTokens: number;
  intervention: Intervention;
  /** Stop a completion after <|endoftext|>; default false. */
  stopAtEot?: boolean;
}

export interface SteerResult {
  /** New tokens only (the prompt is not repeated). */
  baseline: number[];
  steered: number[];
  /** The seed both completions sampled with; null when greedy. */
  seed: number | null;
}

/** Both completions so far (new tokens only), after one more step of each. */
export interface SteerStep {
  baseline: number[];
  steered: number[];
}

export interface SteerSteps {
  /** The seed both completions sample with; null when greedy. */
  seed: number | null;
  /** One step of each completion per `next()`, until both have ended; `return()` frees both KV caches. */
  steps: Generator<SteerStep, void, undefined>;
}

/**
 * The two completions side by side, a token of each at a time, so a screen can show them growing
 * together. `prompt` is what the model is fed (BOS included if wanted); positions in the
 * intervention count from its first token. Bad options throw here, before any token.
 */
export function steerSteps(model: Gpt2, sae: SaeRunner, prompt: number[], opts: SteerOptions): SteerSteps {
  const { intervention, ...sampling } = opts;
  const greedy = sampling.temperature === 0;
  // Without a seed the two completions would sample different streams and differ even at strength 0.
  const seed = greedy ? undefined : (sampling.seed ?? Math.floor(Math.random() * 2 ** 32));
  const shared = { ...sampling, ...(seed === undefined ? {} : { seed }) };
  const hook = interventionHook(sae, intervention, model.config.nLayer);
  const baseline = model.generateTokens(prompt, shared);
  const steered = model.generateTokens(prompt, { ...shared, hooks: [hook] });
  return { seed: seed ?? null, steps: interleave(baseline, steered) };
}

function* interleave(baseline: Generator<number, void>, steered: Generator<number, void>): Generator<SteerStep, void, undefined> {
  const out: SteerStep = { baseline: [], steered: [] };
  try {
    for (;;) {
      const b = baseline.next();
      const s = steered.next();
      if (b.done && s.done) return;
      if (!b.done) out.baseline.push(b.value);
      if (!s.done) out.steered.push(s.value);
      yield { baseline: [...out.baseline], steered: [...out.steered] };
    }
  } finally {
    baseline.return();
    steered.return();
  }
}

export function steerGenerate(model: Gpt2, sae: SaeRunner, prompt: number[], opts: SteerOptions): SteerResult {
  const { seed, steps } = steerSteps(model, sae, prompt, opts);
  let last: SteerStep = { baseline: [], steered: [] };
  for (const step of steps) last = step;
  return { ...last, seed };
}
