// JSON Lines corpora: one JSON object per line, the document in a string field (default `text`).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export async function* readJsonlFile(path: string, field: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (err) {
        throw new Error(`${path}:${lineNo}: not valid JSON (${(err as Error).message}); each line must be one JSON object`);
      }
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        throw new Error(`${path}:${lineNo}: expected a JSON object with a "${field}" field, got ${Array.isArray(row) ? 'an array' : typeof row}`);
      }
      const value = (row as Record<string, unknown>)[field];
      if (typeof value !== 'string') {
        const keys = Object.keys(row).join(', ') || 'none';
        throw new Error(
          value === undefined
            ? `${path}:${lineNo}: no field "${field}" (fields: ${keys}); pick the text field with --text-field`
            : `${path}:${lineNo}: field "${field}" is ${typeof value}, expected a string`,
        );
      }
      if (value.length > 0) yield value;
    }
  } finally {
    lines.close();
  }
}
