// Plain-text corpora: each .txt file is one document.
import { readFile } from 'node:fs/promises';
import { checkRegularFile, decodeUtf8, MAX_DOCUMENT_BYTES, tooLongError } from './documents.js';

export async function* readTextFile(path: string): AsyncGenerator<string> {
  const size = checkRegularFile(path);
  if (size > MAX_DOCUMENT_BYTES) throw tooLongError(path, size, 'split it into several .txt files, or use .jsonl with one document per line');
  const text = decodeUtf8(await readFile(path), path, 'file');
  if (text.trim().length > 0) yield text;
}
