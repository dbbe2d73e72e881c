// Continuations of prompts by a language model, as `lm sample` prints them and `lm.sample` returns
// them: BOS first by default (lm train trains on windows that start with it), greedy at temperature
// 0, else sampled with seed + i for the i-th sample of a prompt, so a seed reproduces the text.
import { promptIds, type PromptTokenizer } from '../causal/prompt.js';
import type { Gpt2 } from '../model/gpt2.js';

export interface LmSampleOptions {
  /** New tokens per continuation. */
  maxNewTokens: number;
  /** Softmax temperature; 0 is greedy. */
  temperature: number;
  /** Sample among the k most likely tokens only; undefined: all. */
  topK?: number;
  /** Seed of each prompt's first sample; sample i uses seed + i. */
  seed: number;
  /** Continuations per prompt (more than one only when sampling). */
  samples: number;
  /** Start each prompt with <|endoftext|>. */
  bos: boolean;
}

export interface LmContinuation {
  prompt: string;
  /** The sampler's seed; null when greedy. */
  seed: number | null;
  /** The new tokens only. */
  ids: number[];
  text: string;
}

export interface SampleTokenizer extends PromptTokenizer {
  decode(ids: readonly number[]): string;
}

/**
 * Each prompt's continuations in order, one at a time. Between tokens it yields the event loop, so
 * a compute process stays responsive while it samples; a prompt too long for the context throws
 * before its first token.
 */
export async function* sampleContinuations(model: Gpt2, tokenizer: SampleTokenizer, prompts: readonly string[], options: LmSampleOptions, signal?: AbortSignal): AsyncGenerator<LmContinuation> {
  const { maxNewTokens, temperature, topK } = options;
  for (const prompt of prompts) {
    const { ids } = promptIds(tokenizer, prompt, { bos: options.bos, nPositions: model.config.nPositions, reserve: maxNewTokens });
    for (let i = 0; i < options.samples; i++) {
      const seed = options.seed + i;
      const out: number[] = [];
      for (const id of model.generateTokens(ids, { maxNewTokens, temperature, topK, seed })) {
        out.push(id);
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
      }
      yield { prompt, seed: temperature === 0 ? null : seed, ids: out, text: tokenizer.decode(out) };
    }
  }
}
