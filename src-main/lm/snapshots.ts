// The snapshots a model folder carries of its own pretraining: `lm train --keep-at` writes each as a
// whole GPT-2 folder under `<out>/snapshots/step-N/`, `lm export --with-snapshots` converts them
// along with the final weights, and a shipped model keeps them there (resources/models/<name>/
// snapshots/step-N/), so the demo can train one SAE per checkpoint. Everything else that reads a
// model folder reads only its top-level files, so the subfolder is invisible to it.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Subfolder of a model folder that holds its snapshots (the trainer writes `snapshots/step-N`). */
export const SNAPSHOTS_DIR = 'snapshots';
const SNAPSHOT_NAME = /^step-(\d+)$/;

export interface ModelSnapshot {
  /** Folder name, "step-N": how a checkpoints set labels the member trained on it. */
  name: string;
  /** Training step the snapshot was taken at. */
  step: number;
  /** Absolute folder of the snapshot's GPT-2. */
  dir: string;
}

/**
 * The complete snapshots of the model in `modelDir`, earliest first: folders named step-N with a
 * config.json and a model.safetensors (the trainer writes model.safetensors last, so a folder that
 * has it is whole). Anything else under snapshots/ is ignored; no snapshots/ folder means none.
 */
export function listSnapshots(modelDir: string): ModelSnapshot[] {
  const root = path.resolve(modelDir, SNAPSHOTS_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .flatMap((entry) => {
      const match = SNAPSHOT_NAME.exec(entry.name);
      const dir = path.join(root, entry.name);
      if (!match || !entry.isDirectory() || !existsSync(path.join(dir, 'config.json')) || !existsSync(path.join(dir, 'model.safetensors'))) return [];
      return [{ name: entry.name, step: Number(match[1]), dir }];
    })
    .sort((a, b) => a.step - b.step);
}
