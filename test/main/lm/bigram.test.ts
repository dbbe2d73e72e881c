import { describe, expect, it } from 'vitest';
import type { WindowSet } from '../../../src-main/data/windows.js';
import { bigramHeldOutLoss, chooseLambda, countBigrams } from '../../../src-main/lm/bigram.js';
import { validateLmTrainConfig } from '../../../src-main/lm/config.js';
import { corpusTokenIds, readLmData, unigramCounts, unigramHeldOutLoss } from '../../../src-main/lm/data.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import { seededRandom } from '../../../src-shared/random.js';
import { grammarCorpus, lmConfig, tempOut } from './fixture.js';

function windows(rows: number[][]): WindowSet {
  return { contextSize: rows[0].length, count: rows.length, tokens: Uint16Array.from(rows.flat()) };
}

/** Leave-one-out cross-entropy of the training pairs at `lambda`, one occurrence at a time, counts recounted without it. */
function leaveOneOutReference(train: WindowSet, ids: number[], lambda: number): number {
  const pairs: Array<[number, number]> = [];
  for (let w = 0; w < train.count; w++) for (let p = 1; p < train.contextSize; p++) pairs.push([train.tokens[w * train.contextSize + p - 1], train.tokens[w * train.contextSize + p]]);
  let loss = 0;
  pairs.forEach(([v, w], i) => {
    const others = pairs.filter((_, j) => j !== i);
    const cw = 1 + others.filter(([, b]) => b === w).length;
    const pUni = cw / (ids.length + others.length);
    const cv = others.filter(([a]) => a === v).length;
    const cvw = others.filter(([a, b]) => a === v && b === w).length;
    loss -= Math.log(cv > 0 ? (lambda * cvw) / cv + (1 - lambda) * pUni : pUni);
  });
  return loss / pairs.length;
}

describe('the interpolated bigram baseline', () => {
  it('gives the hand-computed held-out loss, with an unseen context falling back to the unigram', () => {
    // Pairs (9,1) (1,2) (9,1) (1,1); add-one unigram over ids {1, 2, 9}: counts 1→4, 2→2, 9→1, total 7.
    const train = windows([[9, 1, 2], [9, 1, 1]]);
    const unigram = unigramCounts(train, Int32Array.from([1, 2, 9]));
    expect([unigram.counts[1], unigram.counts[2], unigram.counts[9], unigram.total]).toEqual([4, 2, 1, 7]);
    const bigrams = countBigrams(train);
    // P(1|9) = ½·2/2 + ½·4/7, P(2|1) = ½·1/2 + ½·2/7; P(2|9) = ½·0 + ½·2/7, P(1|2) = 4/7 (2 never precedes anything).
    expect(bigramHeldOutLoss(bigrams, unigram, 0.5, windows([[9, 1, 2]]))).toBeCloseTo(-(Math.log(0.5 + 2 / 7) + Math.log(0.25 + 1 / 7)) / 2, 12);
    expect(bigramHeldOutLoss(bigrams, unigram, 0.5, windows([[9, 2, 1]]))).toBeCloseTo(-(Math.log(1 / 7) + Math.log(4 / 7)) / 2, 12);
    expect(bigramHeldOutLoss(bigrams, unigram, 0, windows([[9, 1, 2]]))).toBeCloseTo(-(Math.log(4 / 7) + Math.log(2 / 7)) / 2, 12);
  });

  it('chooses λ at the maximum of the leave-one-out likelihood, as a plain loop over a grid finds it', () => {
    const uniform = seededRandom(11);
    // Strongly but not perfectly predictable successors, so the best λ lies strictly inside (0, 1).
    const rows = Array.from({ length: 12 }, () => {
      const row = [50];
      for (let p = 1; p < 9; p++) row.push(uniform() < 0.7 ? (row[p - 1] * 7 + 3) % 11 : Math.floor(uniform() * 11));
      return row;
    });
    const train = windows(rows);
    const ids = [...Array.from({ length: 11 }, (_, i) => i), 50];
    const unigram = unigramCounts(train, Int32Array.from(ids));
    const { lambda, leaveOneOutLoss } = chooseLambda(countBigrams(train), unigram);
    console.log('leave-one-out λ', lambda, 'loss', leaveOneOutLoss);
    expect(lambda).toBeGreaterThan(0.05);
    expect(lambda).toBeLessThan(0.95);
    expect(leaveOneOutLoss).toBeCloseTo(leaveOneOutReference(train, ids, lambda), 12);
    for (let g = 0; g < 1; g += 0.01) expect(leaveOneOutReference(train, ids, g)).toBeGreaterThanOrEqual(leaveOneOutLoss - 1e-12);
  });

  it('beats the unigram on held-out documents of a corpus with structure', async () => {
    const data = await readLmData(validateLmTrainConfig(lmConfig(tempOut(), { dataset: grammarCorpus() })), await loadTokenizer(), Infinity);
    const ids = corpusTokenIds(data, 50256);
    const unigram = unigramCounts(data.train, ids);
    const bigrams = countBigrams(data.train);
    const { lambda } = chooseLambda(bigrams, unigram);
    const bigram = bigramHeldOutLoss(bigrams, unigram, lambda, data.heldOut);
    const uni = unigramHeldOutLoss(data, ids);
    console.log('grammar corpus: bigram', bigram, 'unigram', uni, 'λ', lambda);
    expect(bigram).toBeLessThan(uni - 0.5);
  });
});
