// Attention patterns from the blocks.L.attn.hook_pattern hook points, and three per-head scores in
// the style of TransformerLens's "Exploratory Analysis Demo": how much each head attends to the
// previous token and to BOS on a prompt, and its induction score on a repeated random sequence.
import { tf } from '../engine/backend.js';
import type { Gpt2 } from '../model/gpt2.js';
import { seededRandom } from '../../src-shared/random.js';
import { blockHook, type HookName } from '../../src-shared/hooks.js';

/** Random tokens per half of the induction sequence, at most (TransformerLens's demo uses 50). */
const INDUCTION_LENGTH = 50;
/** Random sequences the induction score is averaged over. */
const INDUCTION_ROWS = 4;

/** Per layer, the patterns [head][query][key] of one sequence. */
export function attentionPatterns(model: Gpt2, ids: number[], layers: number[] = range(model.config.nLayer)): number[][][][] {
  layers.forEach((layer) => {
    if (!Number.isInteger(layer) || layer < 0 || layer >= model.config.nLayer) throw new Error(`layer ${layer} is outside the model's layers 0..${model.config.nLayer - 1}`);
  });
  const names = layers.map((layer) => blockHook(layer, 'attn.hook_pattern'));
  const patterns = runPatterns(model, [ids], names);
  try {
    return patterns.map((p) => (p.arraySync() as number[][][][])[0]!);
  } finally {
    tf.dispose(patterns);
  }
}

export interface HeadScores {
  /** [layer][head]: mean attention from each position to the one before it (positions 1..). */
  previousToken: number[][];
  /** [layer][head]: mean attention from each position to position 0 (positions 1..). */
  bos: number[][];
  /**
   * [layer][head]: on BOS + n random tokens + the same n again, the mean attention from each token
   * of the second copy to the token after its first occurrence (TransformerLens's induction stripe,
   * taken over the second copy only), averaged over several random sequences.
   */
  induction: number[][];
  /** Random tokens per half of the induction sequence. */
  inductionLength: number;
}

export interface HeadScoreOptions {
  /** Seed of the random induction sequences; default 0. */
  seed?: number;
  /** Random tokens per half; default min(50, (n_positions − 1) / 2). */
  inductionLength?: number;
}

export function headScores(model: Gpt2, ids: number[], opts: HeadScoreOptions = {}): HeadScores {
  const c = model.config;
  if (ids.length < 2) throw new Error(`head scores need a prompt of at least 2 tokens, got ${ids.length}`);
  const n = opts.inductionLength ?? Math.min(INDUCTION_LENGTH, Math.floor((c.nPositions - 1) / 2));
  if (!Number.isInteger(n) || n < 2 || 1 + 2 * n > c.nPositions) {
    throw new Error(`inductionLength must be an integer in 2..${Math.floor((c.nPositions - 1) / 2)} (BOS + twice it must fit the context of ${c.nPositions}), got ${n}`);
  }
  const names = range(c.nLayer).map((layer) => blockHook(layer, 'attn.hook_pattern'));
  const onPrompt = runPatterns(model, [ids], names);
  const previousToken = onPrompt.map((p) => stripeMean(p, 1, 1));
  const bos = onPrompt.map((p) => columnMean(p, 0));
  tf.dispose(onPrompt);
  const onRepeats = runPatterns(model, inductionSequences(model, n, opts.seed ?? 0), names);
  const induction = onRepeats.map((p) => stripeMean(p, n - 1, n + 1));
  tf.dispose(onRepeats);
  return { previousToken, bos, induction, inductionLength: n };
}

/** INDUCTION_ROWS rows of BOS + n random non-BOS tokens + the same n tokens. */
export function inductionSequences(model: Gpt2, n: number, seed: number): number[][] {
  const { vocabSize, bosTokenId } = model.config;
  const uniform = seededRandom(seed);
  return range(INDUCTION_ROWS).map(() => {
    const half = range(n).map(() => {
      const id = Math.floor(uniform() * (vocabSize - 1));
      return id >= bosTokenId ? id + 1 : id; // every id but BOS, equally likely
    });
    return [bosTokenId, ...half, ...half];
  });
}

/** Patterns [batch, head, pos, pos] at each hook, running the model only as far as the last one. */
function runPatterns(model: Gpt2, rows: number[][], names: HookName[]): tf.Tensor4D[] {
  const tokens = tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32'); // [batch, pos]
  try {
    const deepest = names.reduce((a, b) => (layerOf(b) > layerOf(a) ? b : a));
    const { cache } = model.run(tokens, { cache: names, stopAt: deepest });
    return names.map((name) => cache.get(name) as tf.Tensor4D);
  } finally {
    tokens.dispose();
  }
}

/** Per head, mean of pattern[b, h, q, q − offset] over the batch and queries q ≥ from: [head]. */
function stripeMean(pattern: tf.Tensor4D, offset: number, from: number): number[] {
  const [batch, heads, pos] = pattern.shape;
  const values = pattern.dataSync();
  return range(heads).map((h) => {
    let sum = 0;
    for (let b = 0; b < batch; b++) for (let q = from; q < pos; q++) sum += values[((b * heads + h) * pos + q) * pos + q - offset]!;
    return sum / (batch * (pos - from));
  });
}

/** Per head, mean of pattern[b, h, q, key] over the batch and queries q ≥ 1: [head]. */
function columnMean(pattern: tf.Tensor4D, key: number): number[] {
  const [batch, heads, pos] = pattern.shape;
  const values = pattern.dataSync();
  return range(heads).map((h) => {
    let sum = 0;
    for (let b = 0; b < batch; b++) for (let q = 1; q < pos; q++) sum += values[((b * heads + h) * pos + q) * pos + key]!;
    return sum / (batch * (pos - 1));
  });
}

function layerOf(name: HookName): number {
  return Number(name.split('.')[1]);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
