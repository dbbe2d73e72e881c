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

/** `prompt` is what the model is fed (BOS included if wanted); positions in the intervention count from its first token. */
export function steerGenerate(model: Gpt2, sae: SaeRunner, prompt: number[], opts: SteerOptions): SteerResult {
  const { intervention, ...sampling } = opts;
  const greedy = sampling.temperature === 0;
  // Without a seed the two completions would sample different streams and differ even at strength 0.
  const seed = greedy ? undefined : (sampling.seed ?? Math.floor(Math.random() * 2 ** 32));
  const shared = { ...sampling, ...(seed === undefined ? {} : { seed }) };
  const hook = interventionHook(sae, intervention, model.config.nLayer);
  const baseline = model.generate(prompt, shared).slice(prompt.length);
  const steered = model.generate(prompt, { ...shared, hooks: [hook] }).slice(prompt.length);
  return { baseline, steered, seed: seed ?? null };
}
