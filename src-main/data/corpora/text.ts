// Plain-text corpora: each .txt file is one document.
import { readFile } from 'node:fs/promises';

export async function* readTextFile(path: string): AsyncGenerator<string> {
  const text = await readFile(path, 'utf8');
  if (text.trim().length > 0) yield text;
}
