// `lm tokenizer`: fits a small byte-level BPE (tokenizer/train-bpe.ts) on a corpus's training
// documents, split exactly as `lm train` splits them (every holdoutEvery-th document held out and
// never seen), so a model trained with it (`lm train --tokenizer`) is still evaluated honestly.
import { mkdirSync } from 'node:fs';
import { assertNoTokenizer, writeBpeFiles } from '../tokenizer/files.js';
import { bpeTokenizer, MAX_BPE_VOCAB, MIN_BPE_VOCAB, trainBpe, WordCounts } from '../tokenizer/train-bpe.js';
import { trainingDocuments } from './data.js';

export interface LmTokenizerConfig {
  /** Corpus, as lm train's `dataset`. */
  dataset: string;
  /** Text field (jsonl) or column (parquet), as lm train's. */
  textField: string;
  /** Every `holdoutEvery`-th document is held out and not fitted on; must match the lm train run's. */
  holdoutEvery: number;
  /** Tokens of the vocabulary, <|endoftext|> included, 258 to 65,535. */
  vocabSize: number;
  /** Folder to write vocab.json, merges.txt and tokenizer_config.json into; must not hold a tokenizer. */
  out: string;
}

export interface LmTokenizerResult {
  /** Tokens reached (smaller than asked when the corpus runs out of pairs), <|endoftext|> included. */
  vocabSize: number;
  merges: number;
  documents: number;
  /** Pre-tokenized words of the training documents, and how many are distinct. */
  words: number;
  distinctWords: number;
  /** UTF-8 bytes of the training documents' text, and the tokens the fitted vocabulary cuts it into. */
  bytes: number;
  tokens: number;
  /** Reading and counting the corpus, and fitting the merges. */
  readSeconds: number;
  fitSeconds: number;
}

const utf8Encoder = new TextEncoder();

export function validateLmTokenizerConfig(config: LmTokenizerConfig): LmTokenizerConfig {
  const bad = (key: string, value: unknown, expected: string): never => {
    throw new Error(`lm tokenizer: "${key}" = ${JSON.stringify(value)} is invalid; expected ${expected}`);
  };
  for (const key of ['dataset', 'textField', 'out'] as const) if (typeof config[key] !== 'string' || config[key] === '') bad(key, config[key], 'a non-empty string');
  if (!Number.isInteger(config.holdoutEvery) || config.holdoutEvery < 2) bad('holdoutEvery', config.holdoutEvery, 'an integer ≥ 2');
  if (!Number.isInteger(config.vocabSize) || config.vocabSize < MIN_BPE_VOCAB || config.vocabSize > MAX_BPE_VOCAB) {
    bad('vocabSize', config.vocabSize, `an integer from ${MIN_BPE_VOCAB} (256 bytes, one merge, <|endoftext|>) to ${MAX_BPE_VOCAB} (token windows are 16-bit)`);
  }
  return config;
}

/** Fits the vocabulary on the training documents and writes it to `config.out`. */
export async function fitLmTokenizer(input: LmTokenizerConfig, signal?: AbortSignal): Promise<LmTokenizerResult> {
  const config = validateLmTokenizerConfig(input);
  assertNoTokenizer(config.out);
  mkdirSync(config.out, { recursive: true });
  const readStart = performance.now();
  const words = new WordCounts();
  let documents = 0;
  for await (const doc of trainingDocuments(config)) {
    signal?.throwIfAborted();
    words.add(doc);
    documents++;
  }
  if (words.counts.size === 0) throw new Error(`corpus ${config.dataset}: its training documents (all but every ${config.holdoutEvery}th) hold no text to fit a tokenizer on`);
  const fitStart = performance.now();
  const bpe = trainBpe(words.counts, config.vocabSize);
  const fitSeconds = (performance.now() - fitStart) / 1000;
  writeBpeFiles(config.out, bpe);

  const tokenizer = bpeTokenizer(bpe);
  let total = 0;
  let bytes = 0;
  let tokens = 0;
  for (const [word, count] of words.counts) {
    total += count;
    bytes += count * utf8Encoder.encode(word).length;
    tokens += count * tokenizer.encode(word).length;
  }
  return {
    vocabSize: bpe.tokens.length,
    merges: bpe.merges.length,
    documents,
    words: total,
    distinctWords: words.counts.size,
    bytes,
    tokens,
    readSeconds: (fitStart - readStart) / 1000,
    fitSeconds,
  };
}
