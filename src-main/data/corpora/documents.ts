// What every corpus file reader checks before a document reaches the tokenizer: the file is a regular
// file (a FIFO or device would block the read forever), a document fits the size limit, and its bytes
// are UTF-8 (a lossy decode would silently train on U+FFFD).
import { statSync } from 'node:fs';
import { TextDecoder } from 'node:util';

/**
 * Largest document, in bytes of UTF-8. The tokenizer holds a document's ids in memory at once (a
 * 64 MiB document is about 16 M tokens), and V8 cannot build a string past ~512 M characters at all.
 */
export const MAX_DOCUMENT_BYTES = 64 * 2 ** 20;

const MIB = 2 ** 20;

export function checkRegularFile(path: string): number {
  const stats = statSync(path);
  if (!stats.isFile()) {
    throw new Error(`${path}: not a regular file (a FIFO, socket or device); a corpus is a .txt, .jsonl or .parquet file, or a folder of them`);
  }
  return stats.size;
}

export function tooLongError(where: string, bytes: number, advice: string): Error {
  return new Error(`${where}: a document of ${(bytes / MIB).toFixed(1)} MiB or more exceeds the ${MAX_DOCUMENT_BYTES / MIB} MiB limit on one document; ${advice}`);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The text of `bytes` (a whole file, a line, a parquet value), or an error naming `where` and the bad byte. */
export function decodeUtf8(bytes: Uint8Array, where: string, unit: 'file' | 'line' | 'value'): string {
  try {
    return decoder.decode(bytes);
  } catch {
    const at = firstInvalidByte(bytes);
    throw new Error(`${where}: not valid UTF-8 at byte ${at} of the ${unit} (0x${bytes[at]?.toString(16).padStart(2, '0')}); save the corpus as UTF-8`);
  }
}

/** Index of the first byte that does not start or continue a well-formed UTF-8 sequence (RFC 3629). */
function firstInvalidByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    // The second byte's range rules out overlongs, surrogates and code points past U+10FFFF.
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let j = 1; j < length; j++) {
      const c = bytes[i + j];
      if (c === undefined || c < (j === 1 ? lo : 0x80) || c > (j === 1 ? hi : 0xbf)) return i;
    }
    i += length;
  }
  return bytes.length;
}
