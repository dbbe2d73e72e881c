// Fixed-length token windows, built as TransformerLens's tokenize_and_concatenate does with
// prepend_bos: documents are joined with <|endoftext|>, the token stream is cut into pieces of
// contextSize − 1 tokens, and each piece gets <|endoftext|> prepended as its BOS. The last partial
// piece is dropped.

/** What windowing needs from a tokenizer (Gpt2Tokenizer satisfies it). */
export interface WindowTokenizer {
  encode(text: string): number[];
  /** <|endoftext|>, 50256 for GPT-2; used as document separator and BOS. */
  eotId: number;
}

export interface WindowSet {
  contextSize: number;
  count: number;
  /** Row-major [count, contextSize]. Uint16 because GPT-2's vocabulary (50,257) fits and halves memory. */
  tokens: Uint16Array;
}

export interface WindowOptions {
  /** Tokens per window including the BOS token. Default 64 (Gao et al.). */
  contextSize?: number;
  /** Stop after this many windows (the corpus may be much larger than a run needs). Default: all. */
  maxWindows?: number;
  signal?: AbortSignal;
}

export const DEFAULT_CONTEXT = 64;

/** Tokenizes documents into windows; reads the corpus only as far as `maxWindows` needs. */
export async function buildWindows(documents: AsyncIterable<string>, tokenizer: WindowTokenizer, options: WindowOptions = {}): Promise<WindowSet> {
  const contextSize = options.contextSize ?? DEFAULT_CONTEXT;
  const maxWindows = options.maxWindows ?? Infinity;
  if (!Number.isInteger(contextSize) || contextSize < 2) throw new Error(`contextSize must be an integer >= 2 (BOS plus at least one token), got ${contextSize}`);
  if (maxWindows !== Infinity && (!Number.isInteger(maxWindows) || maxWindows < 1)) throw new Error(`maxWindows must be a positive integer, got ${maxWindows}`);
  const body = contextSize - 1;
  const bos = tokenizer.eotId;
  let capacity = Math.min(maxWindows, 1024);
  let tokens = new Uint16Array(capacity * contextSize);
  let count = 0;
  // Text tokens of the window being filled, after its BOS slot.
  let filled = 0;
  const push = (id: number): void => {
    if (id < 0 || id > 0xffff) throw new Error(`token id ${id} does not fit in 16 bits; vocabularies above 65,536 are not supported`);
    if (filled === 0) {
      if (count === capacity) {
        capacity = Math.min(maxWindows, capacity * 2);
        const grown = new Uint16Array(capacity * contextSize);
        grown.set(tokens);
        tokens = grown;
      }
      tokens[count * contextSize] = bos;
    }
    tokens[count * contextSize + 1 + filled] = id;
    filled++;
    if (filled === body) {
      filled = 0;
      count++;
    }
  };
  let first = true;
  outer: for await (const doc of documents) {
    options.signal?.throwIfAborted();
    if (!first) push(bos);
    if (count >= maxWindows) break;
    first = false;
    for (const id of tokenizer.encode(doc)) {
      push(id);
      if (count >= maxWindows) break outer;
    }
  }
  return { contextSize, count, tokens: tokens.slice(0, count * contextSize) };
}

/** Window `i` as a view [contextSize]. */
export function windowAt(set: WindowSet, i: number): Uint16Array {
  return set.tokens.subarray(i * set.contextSize, (i + 1) * set.contextSize);
}

export interface WindowSplit {
  train: Uint32Array;
  validation: Uint32Array;
}

/**
 * Deterministic hold-out: every `every`-th window (indices every−1, 2·every−1, …) is validation.
 * Interleaving rather than "the last X%" keeps both splits spread over the whole corpus, which matters
 * for chronologically ordered corpora like sotu.
 */
export function splitWindows(count: number, every: number): WindowSplit {
  if (!Number.isInteger(every) || every < 2) throw new Error(`holdout interval must be an integer >= 2, got ${every}`);
  const nValidation = Math.floor(count / every);
  const train = new Uint32Array(count - nValidation);
  const validation = new Uint32Array(nValidation);
  let t = 0;
  let v = 0;
  for (let i = 0; i < count; i++) {
    if (i % every === every - 1) validation[v++] = i;
    else train[t++] = i;
  }
  return { train, validation };
}
