// What the compute process keeps loaded between requests: one GPT-2 with its tokenizer, the SAE
// runners of recent inspect requests, and the open feature databases. Inspecting a prompt twice
// must not reload the model; loading another model frees the unused ones (memory is the limit).
import path from 'node:path';
import type { Gpt2 } from '../model/gpt2.js';
import type { SaeRunner } from '../sae/inference.js';
import type { SaeBundle } from '../sae/types.js';
import type { Db } from '../store/open.js';
import type { Gpt2Tokenizer } from '../tokenizer/bpe.js';
import type { EngineAccess } from './handler.js';
import type { WorkspaceLayout } from './workspace/layout.js';

/** SAE runners kept at once; each holds its weights as tensors. A request may use at most this many. */
export const MAX_SAES = 4;

export class Resources {
  private readonly models = new Map<string, { model: Promise<Gpt2>; users: number }>();
  private readonly tokenizers = new Map<string, Promise<Gpt2Tokenizer>>();
  private readonly saes = new Map<string, { bundle: SaeBundle; runner: SaeRunner }>();
  private readonly databases = new Map<string, Db>();

  constructor(
    private readonly workspace: WorkspaceLayout,
    private readonly engine: EngineAccess,
  ) {}

  /**
   * A loaded model for the duration of a use; call `release` when done. Loading another model frees
   * the ones nobody is using, never one a running job still holds.
   */
  async acquireModel(folder: string): Promise<{ model: Gpt2; release: () => void }> {
    let entry = this.models.get(folder);
    if (!entry) {
      for (const [other, loaded] of this.models) {
        if (loaded.users === 0) {
          void loaded.model.then((model) => model.dispose());
          this.models.delete(other);
        }
      }
      await this.engine.start();
      const { loadGpt2 } = await import('../model/load.js');
      entry = { model: loadGpt2(folder), users: 0 };
      const loading = entry;
      loading.model.catch(() => this.models.get(folder) === loading && this.models.delete(folder));
      this.models.set(folder, entry);
    }
    entry.users++;
    const held = entry;
    let released = false;
    const release = (): void => {
      if (!released) held.users--;
      released = true;
    };
    try {
      return { model: await held.model, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  tokenizer(folder: string): Promise<Gpt2Tokenizer> {
    let tokenizer = this.tokenizers.get(folder);
    if (!tokenizer) {
      tokenizer = import('../tokenizer/load.js').then(({ loadTokenizer }) => loadTokenizer(folder));
      tokenizer.catch(() => this.tokenizers.delete(folder));
      this.tokenizers.set(folder, tokenizer);
    }
    return tokenizer;
  }

  async sae(folder: string): Promise<{ bundle: SaeBundle; runner: SaeRunner }> {
    const cached = this.saes.get(folder);
    if (cached) return cached;
    await this.engine.start();
    const { loadSaeLens } = await import('../sae/formats/saelens.js');
    const { createSaeRunner } = await import('../sae/inference.js');
    const bundle = loadSaeLens(folder);
    const entry = { bundle, runner: createSaeRunner(bundle) };
    if (this.saes.size >= MAX_SAES) {
      const [oldest, old] = this.saes.entries().next().value as [string, { runner: SaeRunner }];
      old.runner.dispose();
      this.saes.delete(oldest);
    }
    this.saes.set(folder, entry);
    return entry;
  }

  /** Forgets a cached SAE (its folder was rewritten, e.g. by training). */
  forgetSae(folder: string): void {
    this.saes.get(folder)?.runner.dispose();
    this.saes.delete(folder);
  }

  async database(file: string = this.workspace.database()): Promise<Db> {
    const key = path.resolve(file);
    const open = this.databases.get(key);
    if (open) return open;
    const { openStore } = await import('../store/open.js');
    const db = openStore(key);
    // A workspace's own database follows the workspace when it is moved or copied.
    if (path.dirname(key) === path.resolve(this.workspace.dir('db'))) {
      const { relocateSaePaths } = await import('../store/relocate.js');
      relocateSaePaths(db, this.workspace.dir('saes'));
    }
    this.databases.set(key, db);
    return db;
  }

  dispose(): void {
    for (const { model } of this.models.values()) void model.then((loaded) => loaded.dispose(), () => {});
    this.models.clear();
    for (const { runner } of this.saes.values()) runner.dispose();
    this.saes.clear();
    for (const db of this.databases.values()) db.close();
    this.databases.clear();
  }
}
