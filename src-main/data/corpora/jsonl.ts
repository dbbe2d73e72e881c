// JSON Lines corpora: one JSON object per line, the document in a string field (default `text`).
// Lines are split on bytes, not decoded text, so a line over the document limit is refused before it
// is ever held whole, and each line's UTF-8 is checked with its line number.
import { createReadStream } from 'node:fs';
import { checkRegularFile, decodeUtf8, MAX_DOCUMENT_BYTES, tooLongError } from './documents.js';

/** The file's lines as bytes, without "\n" or "\r\n"; `lineNo` counts from 1. */
async function* byteLines(path: string): AsyncGenerator<{ bytes: Buffer; lineNo: number }> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNo = 0;
  const finish = (tail: Buffer) => {
    lineNo++;
    if (pendingBytes + tail.length > MAX_DOCUMENT_BYTES) throw tooLongError(`${path}:${lineNo}`, pendingBytes + tail.length, 'split the document over several lines');
    const line = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    return { bytes: line.at(-1) === 0x0d ? line.subarray(0, -1) : line, lineNo };
  };
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end >= 0; end = chunk.indexOf(0x0a, start)) {
      yield finish(chunk.subarray(start, end));
      start = end + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > MAX_DOCUMENT_BYTES) throw tooLongError(`${path}:${lineNo + 1}`, pendingBytes, 'split the document over several lines');
    }
  }
  if (pendingBytes > 0) yield finish(Buffer.alloc(0));
}

export async function* readJsonlFile(path: string, field: string): AsyncGenerator<string> {
  checkRegularFile(path);
  for await (const { bytes, lineNo } of byteLines(path)) {
    const line = decodeUtf8(bytes, `${path}:${lineNo}`, 'line');
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
}
