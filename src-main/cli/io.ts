// Helpers every CLI command shares: one-object JSON output, comma-separated flag values, and
// turning --model into a loaded GPT-2 with its tokenizer. Heavy modules load on first use.
import type { Gpt2 } from '../model/gpt2.js';
import type { Gpt2Tokenizer } from '../tokenizer/bpe.js';

/** Prints one JSON object on one line of stdout, so a caller can parse stdout whole. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Splits "a,b, c" into ["a", "b", "c"]; an empty item is an error naming the flag. */
export function parseCommaList(value: string, flag: string): string[] {
  const items = value.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) throw new Error(`${flag} "${value}": expected a comma-separated list with no empty items, e.g. a,b,c`);
  return items;
}

/** A model folder, or a Hub name resolved through the Hugging Face cache (downloading with a progress bar on stderr). */
export async function resolveModel(dirOrName: string): Promise<string> {
  const { resolveModelDir } = await import('../hub/resolve.js');
  const { cliProgress } = await import('../hub/progress.js');
  return resolveModelDir(dirOrName, { download: true, onProgress: cliProgress(`model ${dirOrName}`) });
}

/** A model's tokenizer, GPT-2's when `model` is omitted: a folder is read as is (it needs only tokenizer files); a Hub name must already be cached. */
export async function tokenizerForModel(model: string | undefined): Promise<Gpt2Tokenizer> {
  const { loadTokenizer } = await import('../tokenizer/load.js');
  if (model === undefined) return loadTokenizer();
  const { existsSync } = await import('node:fs');
  if (existsSync(model)) return loadTokenizer(model);
  const { resolveModelDir } = await import('../hub/resolve.js');
  return loadTokenizer(await resolveModelDir(model, { download: false }));
}

/**
 * `--model-threads`: worker threads the GPT-2 forward runs on (model/pool.ts); absent, every core on
 * wasm (capped) and 1 on TensorFlow, which uses every core itself. Needs the engine started.
 */
export async function modelThreadsFlag(value: string | undefined, command: string): Promise<{ threads: number; warning?: string }> {
  const { resolveModelThreads } = await import('../model/pool.js');
  if (value !== undefined && !/^\d+$/.test(value.trim())) throw new Error(`--model-threads must be a positive integer, got "${value}"`);
  return resolveModelThreads(value === undefined ? undefined : Number(value), command);
}

export interface LoadedModel {
  /** Absolute folder the model was read from. */
  dir: string;
  model: Gpt2;
  tokenizer: Gpt2Tokenizer;
}

/**
 * Starts the tensor engine, resolves --model and loads its weights and tokenizer. `beforeLoad` sees
 * the resolved folder first (e.g. to refuse what will not fit the GPU). The caller disposes `model`.
 */
export async function loadModelAndTokenizer(dirOrName: string, beforeLoad?: (dir: string) => void): Promise<LoadedModel> {
  const { initEngine } = await import('../engine/backend.js');
  await initEngine();
  const dir = await resolveModel(dirOrName);
  beforeLoad?.(dir);
  const { loadGpt2 } = await import('../model/load.js');
  const { loadTokenizer } = await import('../tokenizer/load.js');
  const [model, tokenizer] = await Promise.all([loadGpt2(dir), loadTokenizer(dir)]);
  return { dir, model, tokenizer };
}
