// GPT-2's pre-tokenization (openai/gpt-2 encoder.py): text is cut into words before BPE, and BPE
// never merges across these cuts. `\s` is written as \p{White_Space}, the definition that
// tiktoken and Hugging Face tokenizers use (JavaScript's own \s also matches U+FEFF and misses U+0085).
const WORD_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?![^\p{White_Space}])|\p{White_Space}+/gu;

/**
 * Calls `visit` on each word of `text` in order (their concatenation is `text`). A callback rather
 * than text.match's array of words: half the time on a corpus of megabytes.
 */
export function forEachWord(text: string, visit: (word: string) => void): void {
  const pattern = new RegExp(WORD_PATTERN);
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) visit(match[0]);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export type SpecialSplitter = (text: string) => Array<{ text: string; special: boolean }>;

/**
 * A function that splits text around special tokens (`<|endoftext|>`), which map to their own id
 * and never go through BPE. Pieces keep their order; `special` marks the special ones.
 */
export function specialSplitter(specials: readonly string[]): SpecialSplitter {
  if (specials.length === 0) return (text) => [{ text, special: false }];
  // Longest first, so a special token that extends another wins.
  const alternatives = [...specials].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(${alternatives.join('|')})`);
  return (text) => {
    if (!pattern.test(text)) return [{ text, special: false }];
    const pieces: Array<{ text: string; special: boolean }> = [];
    // split with one capture group alternates plain text (even) and a special token (odd).
    for (const [index, part] of text.split(pattern).entries()) {
      if (index % 2 === 1) pieces.push({ text: part, special: true });
      else if (part.length > 0) pieces.push({ text: part, special: false });
    }
    return pieces;
  };
}
