// GPT-2's byte <-> unicode map (openai/gpt-2 encoder.py, bytes_to_unicode): every byte gets a
// printable character so that BPE can work on strings. Printable Latin-1 bytes map to themselves;
// the other 68 bytes (controls, space, 0x7F-0xA0, 0xAD) map to U+0100 onwards in byte order,
// which is why a space shows up as 'Ġ' (U+0120) and a newline as 'Ċ' (U+010A) in vocab.json.

function isPrintableLatin1(byte: number): boolean {
  return (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
}

function buildByteToChar(): string[] {
  const chars: string[] = [];
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    chars.push(String.fromCharCode(isPrintableLatin1(byte) ? byte : next++));
  }
  return chars;
}

/** BYTE_TO_CHAR[b] is the one-character string GPT-2's vocabulary uses for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Inverse of BYTE_TO_CHAR, keyed by UTF-16 code unit (all 256 chars are below U+0144). */
export const CHAR_TO_BYTE: ReadonlyMap<number, number> = new Map(BYTE_TO_CHAR.map((c, byte) => [c.charCodeAt(0), byte]));

/** Bytes of a vocabulary string, or undefined when it holds a character outside the byte map. */
export function vocabStringToBytes(token: string): Uint8Array | undefined {
  const bytes = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const byte = CHAR_TO_BYTE.get(token.charCodeAt(i));
    if (byte === undefined) return undefined;
    bytes[i] = byte;
  }
  return bytes;
}

/** Length of the UTF-8 sequence a lead byte starts, or 0 when it cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export type Utf8Piece = { text: string } | { byte: number };

/**
 * Splits bytes into decoded characters and the bytes that do not form valid UTF-8 on their own
 * (a token often holds half of an emoji). Never throws.
 */
export function splitUtf8(bytes: Uint8Array): Utf8Piece[] {
  const pieces: Utf8Piece[] = [];
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes[i]);
    let text: string | undefined;
    if (length > 0 && i + length <= bytes.length) {
      try {
        // The strict decoder rejects overlong forms, surrogates and code points above U+10FFFF.
        text = strictUtf8.decode(bytes.subarray(i, i + length));
      } catch {
        text = undefined;
      }
    }
    if (text === undefined) {
      pieces.push({ byte: bytes[i] });
      i += 1;
    } else {
      pieces.push({ text });
      i += length;
    }
  }
  return pieces;
}

const VISIBLE: Record<string, string> = { ' ': '·', '\n': '↵', '\t': '⇥' };

function hexByte(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/**
 * A string a person can read in the UI: space '·', newline '↵', tab '⇥'; other control
 * characters and bytes that are not valid UTF-8 on their own as <0xNN>.
 */
export function displayBytes(bytes: Uint8Array): string {
  let out = '';
  for (const piece of splitUtf8(bytes)) {
    if ('byte' in piece) out += hexByte(piece.byte);
    else if (VISIBLE[piece.text] !== undefined) out += VISIBLE[piece.text];
    else if (piece.text.length === 1 && (piece.text.charCodeAt(0) < 0x20 || piece.text.charCodeAt(0) === 0x7f)) out += hexByte(piece.text.charCodeAt(0));
    else out += piece.text;
  }
  return out;
}
