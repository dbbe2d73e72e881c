// Where things live inside a workspace folder. Every handler resolves paths through here, so the
// layout is written down once:
//   models/<model>/           Hugging Face GPT-2 folder (config.json, model.safetensors, tokenizer)
//   datasets/<file|folder>    corpora the trainer accepts (.txt, .jsonl, .parquet, folders of them)
//   saes/<family>/<d_sae>/    SAELens folders (cfg.json, sae_weights.safetensors), one per size
//   db/<name>.sqlite          feature databases
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const WORKSPACE_DIRS = ['models', 'datasets', 'saes', 'db'] as const;
export type WorkspaceDir = (typeof WORKSPACE_DIRS)[number];

export const DEFAULT_DATABASE = 'features.sqlite';
export const EMBEDDED_DATASET = 'embedded:sotu';

export class WorkspaceLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Creates the workspace's folders when missing (a fresh workspace is an empty folder). */
  ensure(): void {
    for (const dir of WORKSPACE_DIRS) mkdirSync(path.join(this.root, dir), { recursive: true });
  }

  dir(kind: WorkspaceDir): string {
    return path.join(this.root, kind);
  }

  model(id: string): string {
    return path.join(this.root, 'models', id);
  }

  dataset(id: string): string {
    return path.join(this.root, 'datasets', id);
  }

  family(id: string): string {
    return path.join(this.root, 'saes', id);
  }

  /** `id` is "family/size" or a lone SAE folder name; segments are validated by the handlers. */
  sae(id: string): string {
    return path.join(this.root, 'saes', ...id.split('/'));
  }

  database(id: string = DEFAULT_DATABASE): string {
    return path.join(this.root, 'db', id);
  }
}
