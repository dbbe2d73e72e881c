// The language model that ships with the app (resources/models/sotu-gpt2: a small GPT-2 pretrained on
// the embedded State of the Union corpus by `sae-explorer lm train`, with the snapshots of that run it
// carries under snapshots/step-N/, exported by `lm export --with-snapshots`), and how a workspace gets
// it: the whole folder, snapshots included.
// The workspace gets a copy, not a link: its SAEs and feature database are facts about one model's
// activations, so the model they were built on must not change under them when an app update ships
// new weights; a copy also keeps the workspace whole when it is moved, and passes the workspace's
// containment check (models/ entries may not lead outside it), which a link into the app would not.
import { closeSync, cpSync, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { makeTempSiblingDir, replaceDirAtomic, writeJsonAtomic } from '../io/atomic.js';
import type { Gpt2Config } from '../model/config.js';
import { listSnapshots } from '../lm/snapshots.js';
import { loadGpt2Weights } from '../model/load.js';
import { loadTokenizer } from '../tokenizer/load.js';
import type { WorkspaceLayout } from '../jobs/workspace/layout.js';

/** Folder name of the shipped model, under resources/models/ and under a workspace's models/. */
export const SHIPPED_MODEL = 'sotu-gpt2';

/** resources/models/sotu-gpt2 of the app: the repository's top-level resources/ (unpacked beside src-main/ in a packaged app). */
export function shippedModelDir(): string {
  return fileURLToPath(new URL(`../../resources/models/${SHIPPED_MODEL}`, import.meta.url));
}

const RESTORE =
  `restore it from the repository (git checkout -- resources/models/${SHIPPED_MODEL}; git lfs pull if it is stored with Git LFS) or reinstall the app, ` +
  'or build the demo on the generated random model instead: npm run demo -- --model tiny';

/** The files of a GPT-2 folder's byte-level BPE tokenizer. */
const TOKENIZER_FILES = ['vocab.json', 'merges.txt'];

/** Git LFS leaves a small text pointer in place of a file it has not fetched. */
function isLfsPointer(file: string): boolean {
  const head = Buffer.alloc(40);
  const fd = openSync(file, 'r');
  try {
    return head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('latin1').startsWith('version https://git-lfs');
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks that `dir` is a whole GPT-2 folder: config.json, every tensor of model.safetensors against
 * it (names, shapes, the bytes really there), and the tokenizer files; and the same of each snapshot
 * it carries (snapshots/step-N/, which the demo's checkpoints set trains on). Needs the tensor engine
 * started (the weights are uploaded once and freed). Throws naming the folder, the bad file and the fix.
 */
export async function checkShippedModel(dir: string = shippedModelDir()): Promise<Gpt2Config> {
  if (!existsSync(dir)) throw new Error(`the shipped model is missing: ${dir} does not exist; ${RESTORE}`);
  const config = await checkModelFolder(dir);
  for (const snapshot of listSnapshots(dir)) {
    await checkModelFolder(snapshot.dir);
    // The checkpoints set feeds every snapshot the windows the final model's tokenizer made.
    for (const file of TOKENIZER_FILES) {
      if (!readFileSync(path.join(snapshot.dir, file)).equals(readFileSync(path.join(dir, file)))) {
        throw new Error(`the shipped model in ${dir} is damaged: ${path.join(snapshot.dir, file)} differs from the model's own ${file}; a snapshot must share its model's tokenizer; ${RESTORE}`);
      }
    }
  }
  return config;
}

async function checkModelFolder(dir: string): Promise<Gpt2Config> {
  const weightsFile = path.join(dir, 'model.safetensors');
  if (existsSync(weightsFile) && isLfsPointer(weightsFile)) {
    throw new Error(`the shipped model is not fetched: ${weightsFile} is a Git LFS pointer, not the weights; run git lfs pull, or ${RESTORE}`);
  }
  try {
    const { config, weights } = loadGpt2Weights(dir);
    tf.dispose(weights as unknown as tf.TensorContainer); // only the check needed them
    for (const file of TOKENIZER_FILES) {
      if (!existsSync(path.join(dir, file))) throw new Error(`${path.join(dir, file)}: not found; the model's tokenizer needs vocab.json and merges.txt`);
    }
    // A model may carry its own (smaller) vocabulary; its tokenizer must fit the embedding's rows.
    const tokenizer = await loadTokenizer(dir);
    if (tokenizer.vocabSize > config.vocabSize || tokenizer.eotId !== config.eosTokenId) {
      throw new Error(`its tokenizer has ${tokenizer.vocabSize} tokens with <|endoftext|> at ${tokenizer.eotId}, but config.json has vocab_size ${config.vocabSize} and eos_token_id ${config.eosTokenId}; the tokenizer files belong to another model`);
    }
    return config;
  } catch (err) {
    throw new Error(`the shipped model in ${dir} is damaged: ${(err as Error).message}; ${RESTORE}`);
  }
}

/**
 * The workspace's copy of the shipped model (models/sotu-gpt2), made from `from` after checking it
 * when the workspace has none; an existing copy is kept, since the workspace's SAEs belong to it.
 * The copy is built in a temporary sibling and renamed into place, so an interrupted copy leaves no
 * half model.
 */
export async function installShippedModel(workspace: WorkspaceLayout, from: string = shippedModelDir()): Promise<{ dir: string; copied: boolean }> {
  const target = workspace.model(SHIPPED_MODEL);
  if (existsSync(path.join(target, 'config.json'))) return { dir: target, copied: false };
  await checkShippedModel(from);
  const tmp = makeTempSiblingDir(target);
  try {
    for (const name of readdirSync(from)) cpSync(path.join(from, name), path.join(tmp, name), { recursive: true });
    writeJsonAtomic(path.join(tmp, 'provenance.json'), { source: `shipped with the app (${from})`, createdAt: new Date().toISOString() });
    replaceDirAtomic(tmp, target);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return { dir: target, copied: true };
}
