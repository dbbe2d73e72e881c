// A small structured corpus (a folder of .txt documents drawn from a tiny grammar, so a model with
// context beats a unigram model within a few dozen steps) and a tiny pretraining run config.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../../src-shared/random.js';

let corpusDir: string | undefined;

const SUBJECTS = ['the cat', 'the dog', 'a bird', 'my friend', 'the teacher'];
const VERBS = ['sat on', 'looked at', 'ran to', 'walked past', 'found'];
const OBJECTS = ['the mat', 'the park', 'a tree', 'the house', 'the river'];

/** 60 documents of 12 sentences each; sentence i of a document follows from sentence i−1's object. */
export function grammarCorpus(): string {
  if (corpusDir) return corpusDir;
  const dir = join(mkdtempSync(join(tmpdir(), 'lm-corpus-')), 'docs');
  mkdirSync(dir);
  const uniform = seededRandom(7);
  const pick = <T>(xs: T[]) => xs[Math.floor(uniform() * xs.length)];
  for (let doc = 0; doc < 60; doc++) {
    const sentences: string[] = [];
    for (let s = 0; s < 12; s++) {
      const subject = pick(SUBJECTS);
      const v = VERBS.indexOf(pick(VERBS));
      // The object is tied to the verb, so the next token after a verb is predictable from context.
      sentences.push(`${subject[0].toUpperCase()}${subject.slice(1)} ${VERBS[v]} ${OBJECTS[v]}.`);
    }
    writeFileSync(join(dir, `doc-${String(doc).padStart(3, '0')}.txt`), sentences.join(' '));
  }
  corpusDir = dir;
  return dir;
}

export function tempOut(): string {
  return join(mkdtempSync(join(tmpdir(), 'lm-out-')), 'model');
}

/** 1 layer, d_model 32, ctx 16, 32 windows a step, 100 steps (past the plateau at the unigram loss); override per test. */
export function lmConfig(out: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataset: grammarCorpus(),
    out,
    layers: 1,
    dModel: 32,
    heads: 2,
    ctx: 16,
    batch: 32,
    tokens: 100 * 32 * 16,
    lr: 2e-2,
    holdoutEvery: 5,
    evalTokens: 256,
    evalEvery: 50,
    logEvery: 25,
    seed: 3,
    ...overrides,
  };
}
