// Writes a trained model as an ordinary Hugging Face GPT-2 folder: config.json, model.safetensors
// (GPT-2's tensor names, Conv1D weights [in, out], the tied lm_head not stored), the tokenizer files
// and generation_config.json — what loadGpt2 here and GPT2LMHeadModel.from_pretrained read.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { makeTempSiblingDir, replaceDirAtomic, writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import { writeSafetensors, type TensorToWrite } from '../io/safetensors.js';
import { toHfConfigJson, type Gpt2Config } from '../model/config.js';
import { writeTokenizerFiles } from '../tokenizer/files.js';
import type { HostTensors } from './params.js';

/** Tokenizer files a Hugging Face GPT-2 folder may carry, copied from the model a run continues. */
const TOKENIZER_FILES = ['vocab.json', 'merges.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

export interface ExportOptions {
  /** The folder the run continued from: its tokenizer files are copied. Default: GPT-2's tokenizer. */
  tokenizerFrom?: string;
}

/**
 * Writes the folder's files into the existing `dir`, each atomically, model.safetensors last: a
 * folder that has model.safetensors is complete.
 */
export function writeGpt2Files(dir: string, config: Gpt2Config, tensors: HostTensors, options: ExportOptions = {}): void {
  const copied = (options.tokenizerFrom ? TOKENIZER_FILES : []).filter((name) => existsSync(path.join(options.tokenizerFrom!, name)));
  if (copied.length > 0) for (const name of copied) writeFileAtomic(path.join(dir, name), readFileSync(path.join(options.tokenizerFrom!, name)));
  else writeTokenizerFiles(dir, { modelMaxLength: config.nPositions });
  writeJsonAtomic(path.join(dir, 'generation_config.json'), { _from_model_config: true, bos_token_id: config.bosTokenId, eos_token_id: config.eosTokenId, transformers_version: '4.46.0' });
  writeJsonAtomic(path.join(dir, 'config.json'), toHfConfigJson(config));
  const named: Record<string, TensorToWrite> = {};
  for (const [name, t] of tensors) named[name] = { dtype: 'F32', shape: t.shape, data: t.data };
  writeSafetensors(path.join(dir, 'model.safetensors'), named, { format: 'pt' });
}

/** The same as a whole new folder `target`, built beside it and renamed into place. */
export function writeGpt2Folder(target: string, config: Gpt2Config, tensors: HostTensors, options: ExportOptions = {}): void {
  const tmp = makeTempSiblingDir(target);
  try {
    writeGpt2Files(tmp, config, tensors, options);
    replaceDirAtomic(tmp, target);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
