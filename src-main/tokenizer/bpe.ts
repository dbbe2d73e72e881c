// GPT-2's byte-level BPE (openai/gpt-2 encoder.py; Hugging Face GPT2Tokenizer): text -> words by
// the pre-tokenization regex -> UTF-8 bytes -> one token per byte -> merge the adjacent pair of
// lowest rank until no pair is in the merge list. Works on integer ids rather than strings, and
// caches each word's ids, because the trainer tokenizes corpora of many megabytes.
import { BYTE_TO_CHAR, displayBytes, vocabStringToBytes } from './bytes.js';
import { forEachWord, specialSplitter, type SpecialSplitter } from './pretokenize.js';

export const END_OF_TEXT = '<|endoftext|>';

/** Names used in error messages for the two inputs (load.ts passes the file paths). */
export interface TokenizerSources {
  vocab: string;
  merges: string;
}

/** Stop caching once this many distinct words are held; a corpus rarely has more. */
const CACHE_LIMIT = 500_000;
/** Words longer than this (runs of '=' in markdown, base64) are not worth remembering. */
const CACHE_MAX_WORD = 256;

/** Ids above this are a corrupt file, not a vocabulary (the largest real ones have ~256k tokens). */
const MAX_ID = 10_000_000;

const utf8Encoder = new TextEncoder();
const lenientUtf8 = new TextDecoder('utf-8', { fatal: false });

export class Gpt2Tokenizer {
  /** Id of `<|endoftext|>`, GPT-2's BOS and EOS (50256). */
  readonly eotId: number;
  /** One more than the largest id (50257 for GPT-2). */
  readonly vocabSize: number;

  private readonly bytesById: Array<Uint8Array | undefined>;
  private readonly idByByte: Int32Array;
  /** (left id, right id) packed as left * vocabSize + right -> merge rank. */
  private readonly rankByPair: Map<number, number>;
  /** Merge rank -> id of the merged token. */
  private readonly mergedByRank: Int32Array;
  private readonly specialIds: Map<string, number>;
  private readonly specialById: Map<number, string>;
  private readonly splitSpecial: SpecialSplitter;
  private readonly cache = new Map<string, number[]>();

  private constructor(vocab: Map<string, number>, merges: Array<[string, string]>, specials: string[], sources: TokenizerSources) {
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;

    this.specialIds = new Map();
    this.specialById = new Map();
    for (const special of specials) {
      const id = vocab.get(special);
      if (id === undefined) throw new Error(`${sources.vocab}: special token "${special}" is missing from the vocabulary`);
      this.specialIds.set(special, id);
      this.specialById.set(id, special);
    }
    const eot = this.specialIds.get(END_OF_TEXT);
    if (eot === undefined) throw new Error(`${sources.vocab}: "${END_OF_TEXT}" is missing from the vocabulary; GPT-2 needs it as BOS/EOS`);
    this.eotId = eot;
    this.splitSpecial = specialSplitter(specials);

    this.bytesById = new Array(this.vocabSize);
    for (const [token, id] of vocab) {
      const bytes = this.specialById.has(id) ? utf8Encoder.encode(token) : vocabStringToBytes(token);
      if (!bytes) {
        throw new Error(`${sources.vocab}: token ${JSON.stringify(token)} (id ${id}) has a character outside GPT-2's byte alphabet; is this a byte-level BPE vocabulary?`);
      }
      this.bytesById[id] = bytes;
    }

    this.idByByte = new Int32Array(256);
    for (let byte = 0; byte < 256; byte++) {
      const id = vocab.get(BYTE_TO_CHAR[byte]);
      if (id === undefined) throw new Error(`${sources.vocab}: the single-byte token ${JSON.stringify(BYTE_TO_CHAR[byte])} (byte 0x${byte.toString(16)}) is missing`);
      this.idByByte[byte] = id;
    }

    this.rankByPair = new Map();
    this.mergedByRank = new Int32Array(merges.length);
    merges.forEach(([left, right], rank) => {
      const leftId = vocab.get(left);
      const rightId = vocab.get(right);
      const mergedId = vocab.get(left + right);
      const missing = leftId === undefined ? left : rightId === undefined ? right : mergedId === undefined ? left + right : undefined;
      if (missing !== undefined) {
        throw new Error(`${sources.merges}: merge ${rank + 1} "${left} ${right}" uses ${JSON.stringify(missing)}, which is not in ${sources.vocab}`);
      }
      const key = leftId! * this.vocabSize + rightId!;
      if (!this.rankByPair.has(key)) this.rankByPair.set(key, rank);
      this.mergedByRank[rank] = mergedId!;
    });
  }

  /**
   * From Hugging Face's vocab.json (token -> id) and the lines of merges.txt (an optional
   * `#version` header, then "left right" per line by rank).
   */
  static fromVocabAndMerges(vocab: Record<string, number>, merges: string[], sources: TokenizerSources = { vocab: 'vocab.json', merges: 'merges.txt' }): Gpt2Tokenizer {
    const pairs: Array<[string, string]> = [];
    merges.forEach((line, index) => {
      if (line === '' || (index === 0 && line.startsWith('#version'))) return;
      const parts = line.split(' ');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
        throw new Error(`${sources.merges} line ${index + 1}: expected two tokens separated by one space, got ${JSON.stringify(line)}`);
      }
      pairs.push([parts[0], parts[1]]);
    });
    const specials = END_OF_TEXT in vocab ? [END_OF_TEXT] : [];
    return new Gpt2Tokenizer(checkVocab(vocab, sources.vocab), pairs, specials, sources);
  }

  /** From a Hugging Face tokenizer.json whose model is BPE (merges as "a b" strings or [a, b] pairs). */
  static fromTokenizerJson(json: unknown, source = 'tokenizer.json'): Gpt2Tokenizer {
    const model = (json as { model?: unknown } | null)?.model as { type?: unknown; vocab?: unknown; merges?: unknown } | undefined;
    if (!model || typeof model !== 'object') throw new Error(`${source}: missing the "model" object`);
    if (model.type !== undefined && model.type !== 'BPE') throw new Error(`${source}: model.type is ${JSON.stringify(model.type)}, expected "BPE"`);
    const vocab = checkVocab(model.vocab, `${source} model.vocab`);
    if (!Array.isArray(model.merges)) throw new Error(`${source}: model.merges must be an array`);
    const pairs = model.merges.map((merge: unknown, index: number): [string, string] => {
      const parts = typeof merge === 'string' ? merge.split(' ') : merge;
      if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== 'string' || typeof parts[1] !== 'string' || !parts[0] || !parts[1]) {
        throw new Error(`${source}: model.merges[${index}] must be "left right" or ["left", "right"], got ${JSON.stringify(merge)}`);
      }
      return [parts[0], parts[1]];
    });
    const specials: string[] = [];
    const added = (json as { added_tokens?: unknown }).added_tokens ?? [];
    if (!Array.isArray(added)) throw new Error(`${source}: added_tokens must be an array`);
    added.forEach((token: { id?: unknown; content?: unknown; special?: unknown }, index) => {
      if (typeof token?.content !== 'string' || !Number.isInteger(token.id) || (token.id as number) < 0) {
        throw new Error(`${source}: added_tokens[${index}] needs a string "content" and a non-negative integer "id"`);
      }
      vocab.set(token.content, token.id as number);
      if (token.special === true) specials.push(token.content);
    });
    if (!specials.includes(END_OF_TEXT) && vocab.has(END_OF_TEXT)) specials.push(END_OF_TEXT);
    return new Gpt2Tokenizer(vocab, pairs, specials, { vocab: `${source} model.vocab`, merges: `${source} model.merges` });
  }

  /** Token ids of `text`, without BOS. `<|endoftext|>` in the text becomes its id. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of this.splitSpecial(text)) {
      if (piece.special) {
        ids.push(this.specialIds.get(piece.text)!);
        continue;
      }
      forEachWord(piece.text, (word) => {
        const wordIds = this.encodeWord(word);
        for (let i = 0; i < wordIds.length; i++) ids.push(wordIds[i]);
      });
    }
    return ids;
  }

  /** Text of `ids`; bytes that do not form valid UTF-8 (a cut multi-byte character) become U+FFFD. */
  decode(ids: readonly number[]): string {
    const parts = ids.map((id) => this.bytesOf(id));
    const all = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      all.set(part, offset);
      offset += part.length;
    }
    return lenientUtf8.decode(all);
  }

  /** The exact bytes a token stands for. */
  tokenBytes(id: number): Uint8Array {
    return this.bytesOf(id).slice();
  }

  /** The token as the UI shows it: '·' for space, '↵' newline, '⇥' tab, <0xNN> for partial UTF-8. */
  displayToken(id: number): string {
    return this.specialById.get(id) ?? displayBytes(this.bytesOf(id));
  }

  private bytesOf(id: number): Uint8Array {
    const bytes = Number.isInteger(id) ? this.bytesById[id] : undefined;
    if (!bytes) throw new Error(`token id ${id} is not in the vocabulary (ids 0..${this.vocabSize - 1})`);
    return bytes;
  }

  private encodeWord(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const ids = this.mergeBytes(utf8Encoder.encode(word));
    if (word.length <= CACHE_MAX_WORD) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, ids);
    }
    return ids;
  }

  /** Applies merges by rank; every occurrence of the best pair merges in one left-to-right pass, as in encoder.py. */
  private mergeBytes(bytes: Uint8Array): number[] {
    let symbols = Array.from(bytes, (byte) => this.idByByte[byte]);
    while (symbols.length > 1) {
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.rankByPair.get(symbols[i] * this.vocabSize + symbols[i + 1]);
        if (rank !== undefined && rank < bestRank) bestRank = rank;
      }
      if (bestRank === Infinity) break;
      const merged: number[] = [];
      for (let i = 0; i < symbols.length; i++) {
        const isBest = i + 1 < symbols.length && this.rankByPair.get(symbols[i] * this.vocabSize + symbols[i + 1]) === bestRank;
        if (isBest) {
          merged.push(this.mergedByRank[bestRank]);
          i++;
        } else {
          merged.push(symbols[i]);
        }
      }
      symbols = merged;
    }
    return symbols;
  }
}

function checkVocab(vocab: unknown, source: string): Map<string, number> {
  if (!vocab || typeof vocab !== 'object' || Array.isArray(vocab)) throw new Error(`${source}: expected an object mapping token strings to ids`);
  const map = new Map<string, number>();
  const tokenById: string[] = [];
  for (const token in vocab) {
    const id = (vocab as Record<string, unknown>)[token];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_ID) {
      throw new Error(`${source}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, expected an integer in 0..${MAX_ID}`);
    }
    const other = tokenById[id];
    if (other !== undefined) throw new Error(`${source}: tokens ${JSON.stringify(other)} and ${JSON.stringify(token)} share id ${id}`);
    tokenById[id] = token;
    map.set(token, id);
  }
  if (map.size === 0) throw new Error(`${source}: the vocabulary is empty`);
  return map;
}
