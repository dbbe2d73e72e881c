import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Gpt2Tokenizer } from '../../../src-main/tokenizer/bpe.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import { forEachWord } from '../../../src-main/tokenizer/pretokenize.js';
import { shippedGpt2Files } from '../../../src-main/tokenizer/shipped.js';

let tok: Gpt2Tokenizer;
let vocab: Record<string, number>;

let tokenById: string[];
/** GPT-2's 256 single-byte tokens, ids 0..255, as vocab.json spells them. */
let byteTokens: Record<string, number>;

beforeAll(async () => {
  tok = await loadTokenizer();
  vocab = JSON.parse(readFileSync(shippedGpt2Files().vocabPath, 'utf8'));
  tokenById = [];
  byteTokens = {};
  for (const [token, id] of Object.entries(vocab)) {
    tokenById[id] = token;
    if (id < 256) byteTokens[token] = id;
  }
});

// Text -> GPT-2 ids, with the vocab.json strings each id must have (Ġ = space, Ċ = newline).
const KNOWN: Array<[string, number[], string[]]> = [
  ['Hello world', [15496, 995], ['Hello', 'Ġworld']],
  [' the', [262], ['Ġthe']],
  ['\n', [198], ['Ċ']],
  ['\n\n', [628], ['ĊĊ']],
  ['<|endoftext|>', [50256], ['<|endoftext|>']],
  ['Hello, world!', [15496, 11, 995, 0], ['Hello', ',', 'Ġworld', '!']],
  ["I'm", [40, 1101], ['I', "'m"]],
  ['The', [464], ['The']],
  // No "Ġ Ġ" merge exists in GPT-2, and `\s+(?!\S)` leaves the last space to the word after it.
  ['a  b', [64, 220, 275], ['a', 'Ġ', 'Ġb']],
  ['x<|endoftext|>y', [87, 50256, 88], ['x', '<|endoftext|>', 'y']],
  [' 🤗', [12520, 97, 245], ['ĠðŁ', '¤', 'Ĺ']],
];

describe('Gpt2Tokenizer.encode', () => {
  it.each(KNOWN)('%j -> %j', (text, ids, strings) => {
    expect(tok.encode(text)).toEqual(ids);
    expect(strings.map((token) => vocab[token])).toEqual(ids);
    expect(tok.decode(ids)).toBe(text);
  });

  it('knows the vocabulary size and the end-of-text id', () => {
    expect(tok.vocabSize).toBe(50257);
    expect(tok.eotId).toBe(50256);
  });

  it('encodes the empty string as no tokens', () => {
    expect(tok.encode('')).toEqual([]);
    expect(tok.decode([])).toBe('');
  });

  it('gives the same ids on a second call (cache) as on the first', () => {
    const text = 'caching caching caching';
    const first = tok.encode(text);
    expect(tok.encode(text)).toEqual(first);
    expect(first.map((id) => tokenById[id])).toEqual(['c', 'aching', 'Ġcaching', 'Ġcaching']);
  });
});

describe('Gpt2Tokenizer.decode', () => {
  it.each(['日本語のテキスト', 'emoji 👩‍👩‍👧 flags 🇫🇷', '   lots   of\n\n\n\tspace \r\n', 'mixed é ü ß Ω Ж ع ह 한'])('round-trips %j', (text) => {
    expect(tok.decode(tok.encode(text))).toBe(text);
  });

  it('decodes a subsequence that cuts a multi-byte character to U+FFFD instead of throwing', () => {
    const ids = tok.encode(' 🤗'); // [12520, 97, 245]: the emoji's 4 bytes span three tokens
    expect(tok.decode(ids.slice(0, 2))).toBe(' \uFFFD');
    expect(tok.decode(ids.slice(1))).toBe('\uFFFD\uFFFD');
  });

  it('rejects an id outside the vocabulary, naming it', () => {
    expect(() => tok.decode([50257])).toThrow('token id 50257 is not in the vocabulary (ids 0..50256)');
    expect(() => tok.tokenBytes(-1)).toThrow(/token id -1/);
  });

  it('round-trips random unicode strings (seeded)', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // Code points from the ranges text really uses, plus whitespace and astral characters.
    const ranges: Array<[number, number]> = [[0x20, 0x7e], [0x09, 0x0d], [0xa0, 0x24f], [0x370, 0x6ff], [0x3040, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0x1f300, 0x1faff], [0x2000, 0x206f]];
    for (let trial = 0; trial < 300; trial++) {
      let text = '';
      const length = 1 + Math.floor(random() * 40);
      for (let i = 0; i < length; i++) {
        const [lo, hi] = ranges[Math.floor(random() * ranges.length)];
        text += String.fromCodePoint(lo + Math.floor(random() * (hi - lo + 1)));
      }
      const ids = tok.encode(text);
      expect(tok.decode(ids), `trial ${trial}: ${JSON.stringify(text)}`).toBe(text);
      expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < 50257)).toBe(true);
    }
  });
});

describe('Gpt2Tokenizer token views', () => {
  it('gives the exact bytes of a token', () => {
    expect(Array.from(tok.tokenBytes(995))).toEqual([0x20, 0x77, 0x6f, 0x72, 0x6c, 0x64]); // " world"
    expect(Array.from(tok.tokenBytes(12520))).toEqual([0x20, 0xf0, 0x9f]);
  });

  it('shows spaces, newlines, tabs and partial UTF-8 visibly', () => {
    expect(tok.displayToken(995)).toBe('·world');
    expect(tok.displayToken(198)).toBe('↵');
    expect(tok.displayToken(628)).toBe('↵↵');
    expect(tok.displayToken(tok.encode('\t')[0])).toBe('⇥');
    expect(tok.displayToken(12520)).toBe('·<0xF0><0x9F>');
    expect(tok.displayToken(50256)).toBe('<|endoftext|>');
    expect(tok.displayToken(tok.encode('é')[0])).toBe('é');
    // Other control characters would be invisible, so they show as bytes too.
    expect(tok.displayToken(tok.encode('\r')[0])).toBe('<0x0D>');
  });
});

describe('Gpt2Tokenizer construction', () => {
  // A byte-complete toy vocabulary: the 256 byte tokens, "ab", "abc" and end-of-text.
  function toyVocab(): Record<string, number> {
    return { ...byteTokens, ab: 256, abc: 257, '<|endoftext|>': 258 };
  }

  it('builds from vocab and merge lines, applying merges by rank', () => {
    const t = Gpt2Tokenizer.fromVocabAndMerges(toyVocab(), ['#version: 0.2', 'a b', 'ab c', '']);
    expect(t.encode('abcab')).toEqual([257, 256]);
    expect(t.encode('ba')).toEqual([vocab['b'], vocab['a']]);
    expect(t.vocabSize).toBe(259);
    expect(t.eotId).toBe(258);
  });

  it('builds from a tokenizer.json with string or pair merges', () => {
    const json = { model: { type: 'BPE', vocab: toyVocab(), merges: [['a', 'b'], 'ab c'] }, added_tokens: [{ id: 258, content: '<|endoftext|>', special: true }] };
    const t = Gpt2Tokenizer.fromTokenizerJson(json);
    expect(t.encode('abc<|endoftext|>')).toEqual([257, 258]);
  });

  it('names the bad merge line', () => {
    expect(() => Gpt2Tokenizer.fromVocabAndMerges(toyVocab(), ['#version: 0.2', 'a b', 'abc'], { vocab: 'v.json', merges: 'm.txt' })).toThrow(
      'm.txt line 3: expected two tokens separated by one space, got "abc"',
    );
    expect(() => Gpt2Tokenizer.fromVocabAndMerges(toyVocab(), ['b c'], { vocab: 'v.json', merges: 'm.txt' })).toThrow(
      'm.txt: merge 1 "b c" uses "bc", which is not in v.json',
    );
  });

  it('names the bad vocabulary entry', () => {
    expect(() => Gpt2Tokenizer.fromVocabAndMerges({ ...toyVocab(), x: -3 }, [])).toThrow('vocab.json: token "x" has id -3, expected an integer in 0..10000000');
    expect(() => Gpt2Tokenizer.fromVocabAndMerges({ ...toyVocab(), dup: 256 }, [])).toThrow('vocab.json: tokens "ab" and "dup" share id 256');
    const noEot = toyVocab();
    delete noEot['<|endoftext|>'];
    expect(() => Gpt2Tokenizer.fromVocabAndMerges(noEot, [])).toThrow('"<|endoftext|>" is missing from the vocabulary');
    expect(() => Gpt2Tokenizer.fromTokenizerJson({ model: { type: 'WordPiece', vocab: {} } })).toThrow('tokenizer.json: model.type is "WordPiece", expected "BPE"');
  });
});

describe('forEachWord (GPT-2 pre-tokenization)', () => {
  const words = (text: string): string[] => {
    const out: string[] = [];
    forEachWord(text, (word) => out.push(word));
    return out;
  };

  it('cuts contractions, letters, numbers, punctuation and whitespace as encoder.py does', () => {
    expect(words("I'm 42 years-old,   ok?\n\n")).toEqual(['I', "'m", ' 42', ' years', '-', 'old', ',', '  ', ' ok', '?', '\n\n']);
    expect(words('')).toEqual([]);
  });

  it('treats U+0085 as whitespace and U+FEFF as not, like tiktoken and Hugging Face tokenizers', () => {
    expect(words('a\u0085b')).toEqual(['a', '\u0085', 'b']);
    expect(words('a\uFEFFb')).toEqual(['a', '\uFEFF', 'b']);
    expect(words('a \uFEFF')).toEqual(['a', ' \uFEFF']);
  });
});
