// Turns what the user names on the command line into harvest inputs: SAE folders (a family folder
// expands to its sizes, as listed in its family.json), and the corpus windows.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { openCorpus } from '../data/corpora/index.js';
import { buildWindows, type WindowSet, type WindowTokenizer } from '../data/windows.js';
import { loadSaeLens } from '../sae/formats/saelens.js';
import { SET_FILE, readSetFile } from './comparable-set.js';
import type { HarvestSaeInput } from './harvest-job.js';

export const FAMILY_FILE = SET_FILE;
/** The paper's context: windows of 64 tokens including BOS, as the trainer uses. */
export const HARVEST_CONTEXT = 64;

/** Absolute SAE folders a set folder's family.json lists, in the set's order. */
export function familyMembers(dir: string): string[] {
  return readSetFile(dir).members.map((m) => m.path);
}

/** SAE folders named by `dirs` (each a SAELens folder or a family folder), each loaded once, with its family. */
export function loadHarvestSaes(dirs: string[]): HarvestSaeInput[] {
  const folders: string[] = [];
  for (const dir of dirs) {
    const abs = path.resolve(dir);
    if (!existsSync(abs)) throw new Error(`--sae ${dir}: no such folder`);
    if (existsSync(path.join(abs, FAMILY_FILE)) && !existsSync(path.join(abs, 'cfg.json'))) folders.push(...familyMembers(abs));
    else folders.push(abs);
  }
  return [...new Set(folders)].map((folder) => {
    const parent = path.dirname(folder);
    const family = existsSync(path.join(parent, FAMILY_FILE)) ? { path: parent, name: path.basename(parent), kind: readSetFile(parent).kind } : undefined;
    return { path: folder, bundle: loadSaeLens(folder), family };
  });
}

/**
 * The least a harvest holds on the tensor device at once: the weights of the model and of every SAE,
 * as their safetensors files measure them. Batches of activations come on top, so this is a floor
 * for refusing early, not an estimate.
 */
export function harvestWeightBytes(modelDir: string, saeDirs: string[]): number {
  const size = (file: string): number => (existsSync(file) ? statSync(file).size : 0);
  const modelBytes = readdirSync(modelDir).filter((f) => f.endsWith('.safetensors')).reduce((sum, f) => sum + size(path.join(modelDir, f)), 0);
  return saeDirs.reduce((sum, dir) => sum + size(path.join(dir, 'sae_weights.safetensors')), modelBytes);
}

/** Enough windows of the corpus for `tokens` harvested tokens (BOS positions are not harvested). */
export async function harvestWindowsFor(dataset: string, tokenizer: WindowTokenizer, tokens: number, signal?: AbortSignal): Promise<WindowSet> {
  if (!Number.isInteger(tokens) || tokens < 1) throw new Error(`--tokens must be a positive integer, got ${tokens}`);
  const maxWindows = Math.ceil(tokens / (HARVEST_CONTEXT - 1));
  const windows = await buildWindows(openCorpus(dataset), tokenizer, { contextSize: HARVEST_CONTEXT, maxWindows, signal });
  if (windows.count === 0) throw new Error(`corpus "${dataset}" is shorter than one window of ${HARVEST_CONTEXT} tokens`);
  return windows;
}
