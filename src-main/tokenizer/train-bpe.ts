// Fits a byte-level BPE vocabulary in GPT-2's format (Sennrich et al. 2016; Radford et al. 2019 §2.2):
// text -> words by GPT-2's pre-tokenization -> UTF-8 bytes, one symbol each -> repeatedly merge the
// most frequent adjacent pair of symbols, counted over all words weighted by how often each occurs.
// Pair counts are kept up to date as merges happen (only the words holding the merged pair are
// touched), and a max-heap with stale entries skipped picks the next pair, so a corpus of millions of
// tokens fits in seconds.
//
// Ids: the 256 byte symbols first, ordered as GPT-2's vocab.json orders them (by their character in
// BYTE_TO_CHAR), then one id per new token in merge order, then <|endoftext|> last.
// Ties: among pairs of equal count, the one with the smaller left id wins, then the smaller right id.
import { END_OF_TEXT, Gpt2Tokenizer } from './bpe.js';
import { BYTE_TO_CHAR } from './bytes.js';
import { forEachWord, specialSplitter } from './pretokenize.js';

/** Smallest vocabulary: the 256 bytes, one merge and <|endoftext|>. */
export const MIN_BPE_VOCAB = 258;
/** Largest vocabulary: token windows are Uint16 (data/windows.ts). */
export const MAX_BPE_VOCAB = 65535;

/** A fitted vocabulary: `tokens[id]` in vocab.json's byte alphabet (the last is <|endoftext|>), merges by rank. */
export interface TrainedBpe {
  tokens: string[];
  merges: Array<[string, string]>;
}

const utf8Encoder = new TextEncoder();
const splitEndOfText = specialSplitter([END_OF_TEXT]);

/** Counts GPT-2's pre-tokenized words of documents; `<|endoftext|>` in a text is never part of a word. */
export class WordCounts {
  readonly counts = new Map<string, number>();

  add(text: string): void {
    for (const piece of splitEndOfText(text)) {
      if (piece.special) continue;
      forEachWord(piece.text, (word) => this.counts.set(word, (this.counts.get(word) ?? 0) + 1));
    }
  }
}

/** The byte symbols' ids: GPT-2's vocab.json numbers them in the order of their characters' code points. */
const BYTE_ORDER: number[] = Array.from({ length: 256 }, (_, byte) => byte).sort((a, b) => BYTE_TO_CHAR[a].charCodeAt(0) - BYTE_TO_CHAR[b].charCodeAt(0));
const ID_OF_BYTE = new Int32Array(256);
BYTE_ORDER.forEach((byte, id) => (ID_OF_BYTE[byte] = id));

/** A pair (left, right) of ids below 65,536 as one number. */
const pairKey = (left: number, right: number): number => left * 65536 + right;

/** Max-heap of (count, pair) by count, then smaller pair key first. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0], key: this.keys[0] };
    const last = this.keys.length - 1;
    this.swap(0, last);
    this.counts.pop();
    this.keys.pop();
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < this.keys.length && this.before(left, best)) best = left;
      if (right < this.keys.length && this.before(right, best)) best = right;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }

  private before(a: number, b: number): boolean {
    return this.counts[a] > this.counts[b] || (this.counts[a] === this.counts[b] && this.keys[a] < this.keys[b]);
  }

  private swap(a: number, b: number): void {
    [this.counts[a], this.counts[b]] = [this.counts[b], this.counts[a]];
    [this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]];
  }
}

/** `symbols` with every non-overlapping (left, right), scanned left to right, replaced by `merged`. */
function mergeWord(symbols: number[], left: number, right: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(merged);
      i++;
    } else {
      out.push(symbols[i]);
    }
  }
  return out;
}

function pairKeys(symbols: number[]): number[] {
  const keys: number[] = [];
  for (let i = 0; i + 1 < symbols.length; i++) keys.push(pairKey(symbols[i], symbols[i + 1]));
  return keys;
}

/**
 * Merges until the vocabulary (bytes, new tokens and <|endoftext|>) holds `vocabSize` tokens, or no
 * adjacent pair is left (then it is smaller). A merge whose joined string is already a token reuses
 * that token's id, as Hugging Face's trainer does: merges.txt may then hold more lines than new tokens.
 */
export function trainBpe(words: ReadonlyMap<string, number>, vocabSize: number): TrainedBpe {
  if (!Number.isInteger(vocabSize) || vocabSize < MIN_BPE_VOCAB || vocabSize > MAX_BPE_VOCAB) {
    throw new Error(`BPE vocabulary size ${vocabSize} is invalid; expected an integer from ${MIN_BPE_VOCAB} (256 bytes, one merge, <|endoftext|>) to ${MAX_BPE_VOCAB} (token windows are 16-bit)`);
  }
  const tokens = BYTE_ORDER.map((byte) => BYTE_TO_CHAR[byte]);
  const idOfToken = new Map(tokens.map((token, id) => [token, id]));
  const symbols: number[][] = [];
  const frequency: number[] = [];
  for (const [word, count] of words) {
    symbols.push(Array.from(utf8Encoder.encode(word), (byte) => ID_OF_BYTE[byte]));
    frequency.push(count);
  }

  const pairCount = new Map<number, number>();
  /** Pair -> the words holding it (a superset: a word may have lost it since). */
  const wordsWith = new Map<number, Set<number>>();
  symbols.forEach((word, w) => {
    for (const key of pairKeys(word)) {
      pairCount.set(key, (pairCount.get(key) ?? 0) + frequency[w]);
      let holders = wordsWith.get(key);
      if (!holders) wordsWith.set(key, (holders = new Set()));
      holders.add(w);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCount) heap.push(count, key);

  const merges: Array<[string, string]> = [];
  while (tokens.length < vocabSize - 1 && heap.size > 0) {
    const { count, key } = heap.pop();
    if (pairCount.get(key) !== count) continue; // stale: the pair's count changed after this entry was pushed
    const left = Math.floor(key / 65536);
    const right = key % 65536;
    const joined = tokens[left] + tokens[right];
    let merged = idOfToken.get(joined);
    if (merged === undefined) {
      merged = tokens.length;
      tokens.push(joined);
      idOfToken.set(joined, merged);
    }
    merges.push([tokens[left], tokens[right]]);

    const countBefore = new Map<number, number>();
    const change = (pair: number, by: number): void => {
      if (!countBefore.has(pair)) countBefore.set(pair, pairCount.get(pair) ?? 0);
      pairCount.set(pair, (pairCount.get(pair) ?? 0) + by);
    };
    for (const w of wordsWith.get(key) ?? []) {
      const before = symbols[w];
      const after = mergeWord(before, left, right, merged);
      if (after.length === before.length) continue;
      const oldKeys = pairKeys(before);
      const newKeys = pairKeys(after);
      for (const pair of oldKeys) change(pair, -frequency[w]);
      for (const pair of newKeys) change(pair, frequency[w]);
      const kept = new Set(newKeys);
      for (const pair of oldKeys) if (!kept.has(pair)) wordsWith.get(pair)?.delete(w);
      for (const pair of newKeys) {
        let holders = wordsWith.get(pair);
        if (!holders) wordsWith.set(pair, (holders = new Set()));
        holders.add(w);
      }
      symbols[w] = after;
    }
    for (const [pair, before] of countBefore) {
      const now = pairCount.get(pair)!;
      if (now <= 0) {
        pairCount.delete(pair);
        wordsWith.delete(pair);
      } else if (now !== before) {
        heap.push(now, pair);
      }
    }
  }
  tokens.push(END_OF_TEXT);
  return { tokens, merges };
}

/** vocab.json's object (token -> id, in id order). */
export function vocabJson(bpe: TrainedBpe): Record<string, number> {
  return Object.fromEntries(bpe.tokens.map((token, id) => [token, id]));
}

/** vocab.json's text, in id order as GPT-2's is (an object literal would list digit-only tokens first). */
export function vocabJsonText(bpe: TrainedBpe): string {
  return `{${bpe.tokens.map((token, id) => `${JSON.stringify(token)}:${id}`).join(',')}}`;
}

/** merges.txt's lines after its `#version` header. */
export function mergeLines(bpe: TrainedBpe): string[] {
  return bpe.merges.map(([left, right]) => `${left} ${right}`);
}

/** The fitted vocabulary as the tokenizer this app runs. */
export function bpeTokenizer(bpe: TrainedBpe): Gpt2Tokenizer {
  return Gpt2Tokenizer.fromVocabAndMerges(vocabJson(bpe), mergeLines(bpe), { vocab: 'the fitted vocabulary', merges: 'the fitted merges' });
}
