// The valid inputs the fuzz cases start from, made once per child in its work folder: a SAELens and a
// sparsify SAE folder, a tiny GPT-2 folder and a parquet corpus. Each case works on its own scratch copy.
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTinyModel } from '../../src-main/model/tiny.js';
import { saveSaeLens } from '../../src-main/sae/formats/saelens.js';
import { saveSparsify } from '../../src-main/sae/formats/sparsify.js';
import { randomTopKSae } from '../main/features/harvest-fixtures.js';
import { writeParquetFixture } from '../main/data/parquet-fixture.js';

export class Fixtures {
  private cache = new Map<string, string>();
  private scratchCount = 0;

  constructor(readonly workDir: string) {
    mkdirSync(workDir, { recursive: true });
  }

  private once(key: string, make: (target: string) => void): string {
    let target = this.cache.get(key);
    if (!target) {
      target = path.join(this.workDir, 'base', key);
      make(target);
      this.cache.set(key, target);
    }
    return target;
  }

  /** A valid 32-latent top-k SAE on d_model 16 (W_enc and W_dec differ in shape), as a SAELens folder. */
  saeDir(): string {
    return this.once('sae', (dir) => saveSaeLens(dir, randomTopKSae(32, 7)));
  }

  /** The same kind of SAE as an EleutherAI sparsify hookpoint folder (cfg.json + sae.safetensors). */
  sparsifyDir(): string {
    return this.once('sparsify', (dir) => saveSparsify(dir, randomTopKSae(32, 7)));
  }

  /** A valid two-layer GPT-2 of width 16. */
  modelDir(): string {
    return this.once('model', (dir) => createTinyModel(dir, { layers: 2, dModel: 16, heads: 2, ctx: 64, seed: 3 }));
  }

  /** A valid parquet corpus: a `text` column and an `id` column, three row groups. */
  parquetFile(): string {
    return this.once('corpus.parquet', (file) => {
      mkdirSync(path.dirname(file), { recursive: true });
      const text = Array.from({ length: 9 }, (_, i) => `Document ${i}: the quick brown fox jumps over the lazy dog.`);
      writeParquetFixture(file, [
        { name: 'text', type: 'string', values: text },
        { name: 'id', type: 'int32', values: text.map((_, i) => i) },
      ], 3);
    });
  }

  /** A fresh empty folder for one case. */
  scratch(tag: string): string {
    const dir = path.join(this.workDir, 'cases', `${this.scratchCount++}-${tag}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** A copy of `sourceDir` in a scratch folder with `file` replaced by `bytes`; other files are links. */
  variant(sourceDir: string, file: string, bytes: Buffer | string, tag: string): string {
    const dir = this.scratch(tag);
    for (const name of ['cfg.json', 'sae_weights.safetensors', 'sae.safetensors', 'config.json', 'model.safetensors']) {
      const from = path.join(sourceDir, name);
      if (name === file) writeFileSync(path.join(dir, name), bytes);
      else if (existsSync(from)) symlinkSync(from, path.join(dir, name));
    }
    return dir;
  }

  /** Removes a case's scratch folder, so a long run does not fill the disk. */
  clean(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
  }
}
