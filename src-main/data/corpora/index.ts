// One entry point for every corpus the trainer accepts. A spec is the embedded default `sotu`, a
// path (.txt, .jsonl, .parquet, or a folder of those), or a Hugging Face dataset id "owner/name".
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { HUB_DATASET_PATTERN, hubDatasetFiles } from './hub.js';
import { readJsonlFile } from './jsonl.js';
import { readParquetFile } from './parquet.js';
import { readSotu } from './sotu.js';
import { readTextFile } from './text.js';

export interface CorpusOptions {
  /** Field (jsonl) or column (parquet) holding the document text. Default `text`. */
  textField?: string;
}

export const DEFAULT_CORPUS = 'sotu';
const READABLE = ['.txt', '.jsonl', '.parquet'];

function readFileByType(path: string, field: string): AsyncGenerator<string> {
  switch (extname(path).toLowerCase()) {
    case '.txt':
      return readTextFile(path);
    case '.jsonl':
      return readJsonlFile(path, field);
    case '.parquet':
      return readParquetFile(path, field);
    default:
      throw new Error(`${path}: unsupported corpus file type "${extname(path)}"; expected one of ${READABLE.join(', ')}`);
  }
}

async function filesInFolder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesInFolder(path)));
    else if (READABLE.includes(extname(entry.name).toLowerCase())) files.push(path);
  }
  return files.sort();
}

/** Resolves a corpus spec to the list of files it reads, or 'sotu'. Throws naming the spec when it is none of the accepted forms. */
async function resolveSpec(spec: string): Promise<'sotu' | string[]> {
  if (spec === DEFAULT_CORPUS) return 'sotu';
  if (existsSync(spec)) {
    if (!statSync(spec).isDirectory()) return [spec];
    const files = await filesInFolder(spec);
    if (files.length === 0) throw new Error(`corpus folder ${spec} holds no ${READABLE.join(', ')} files`);
    return files;
  }
  const looksLocal = spec.startsWith('.') || spec.startsWith('/') || (READABLE.includes(extname(spec).toLowerCase()) && !spec.endsWith('.parquet'));
  if (!looksLocal && HUB_DATASET_PATTERN.test(spec)) return hubDatasetFiles(spec);
  throw new Error(`corpus "${spec}" not found: expected an existing .txt/.jsonl/.parquet file or folder, a Hugging Face dataset "owner/name[/file.parquet]", or "sotu"`);
}

/** The documents of a corpus, in a fixed order, read lazily. */
export async function* openCorpus(spec: string, options: CorpusOptions = {}): AsyncGenerator<string> {
  const field = options.textField ?? 'text';
  const resolved = await resolveSpec(spec);
  if (resolved === 'sotu') {
    yield* readSotu();
    return;
  }
  for (const file of resolved) yield* readFileByType(file, field);
}
