import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_BYTES } from '../../../../src-main/data/corpora/documents.js';
import { openCorpus } from '../../../../src-main/data/corpora/index.js';
import { writeParquetFixture } from '../parquet-fixture.js';

async function collect(spec: string, field?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const doc of openCorpus(spec, { textField: field })) out.push(doc);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'corpus-'));

describe('openCorpus', () => {
  it('reads a .txt file as one document and a folder in sorted order', async () => {
    mkdirSync(join(dir, 'txt'));
    writeFileSync(join(dir, 'txt', 'b.txt'), 'second');
    writeFileSync(join(dir, 'txt', 'a.txt'), 'first\nline two');
    writeFileSync(join(dir, 'txt', 'ignored.md'), 'not a corpus file');
    expect(await collect(join(dir, 'txt', 'a.txt'))).toEqual(['first\nline two']);
    expect(await collect(join(dir, 'txt'))).toEqual(['first\nline two', 'second']);
  });

  it('reads .jsonl with the default and a custom field, and names the line of a bad row', async () => {
    const path = join(dir, 'docs.jsonl');
    writeFileSync(path, '{"text":"one","body":"uno"}\n\n{"text":"two","body":"dos"}\n');
    expect(await collect(path)).toEqual(['one', 'two']);
    expect(await collect(path, 'body')).toEqual(['uno', 'dos']);
    await expect(collect(path, 'content')).rejects.toThrow(/docs\.jsonl:1: no field "content" \(fields: text, body\)/);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"text":"ok"}\n{not json\n');
    await expect(collect(bad)).rejects.toThrow(/bad\.jsonl:2: not valid JSON/);
  });

  it('splits .jsonl lines on LF and CRLF, across read chunks', async () => {
    const path = join(dir, 'crlf.jsonl');
    const long = 'x'.repeat(200_000);
    writeFileSync(path, `{"text":"a"}\r\n{"text":"${long}"}\r\n{"text":"é✓"}`);
    expect(await collect(path)).toEqual(['a', long, 'é✓']);
  });

  // Found by the fuzz suite: invalid bytes were decoded to U+FFFD and trained on without a word.
  it('refuses invalid UTF-8, naming the file, the line and the byte', async () => {
    const txt = join(dir, 'latin1.txt');
    writeFileSync(txt, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b]));
    await expect(collect(txt)).rejects.toThrow(`${txt}: not valid UTF-8 at byte 3 of the file (0xe9); save the corpus as UTF-8`);
    const jsonl = join(dir, 'surrogate.jsonl');
    writeFileSync(jsonl, Buffer.concat([Buffer.from('{"text":"fine"}\n{"text":"ab'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}\n')]));
    await expect(collect(jsonl)).rejects.toThrow(`${jsonl}:2: not valid UTF-8 at byte 11 of the line (0xed)`);
    const parquet = join(dir, 'latin1.parquet');
    writeParquetFixture(parquet, [{ name: 'text', type: 'string', values: ['fine', 'café ok'] }], 2);
    // The fixture writes UTF-8; turning "é" (c3 a9) into Latin-1 "é " (e9 20) keeps every offset.
    const bytes = readFileSync(parquet);
    const at = bytes.indexOf(Buffer.from('café'));
    bytes.set([0xe9, 0x20], at + 3);
    writeFileSync(parquet, bytes);
    await expect(collect(parquet)).rejects.toThrow(`${parquet}: cannot read rows 0..1 of column "text": column "text": not valid UTF-8 at byte 3 of the value (0xe9)`);
  });

  // Found by the fuzz suite: reading a FIFO never returned.
  it('refuses a FIFO or other non-regular file instead of blocking on it', async () => {
    for (const name of ['pipe.txt', 'pipe.jsonl', 'pipe.parquet']) {
      const fifo = join(dir, name);
      execFileSync('mkfifo', [fifo]);
      await expect(collect(fifo)).rejects.toThrow(`${fifo}: not a regular file (a FIFO, socket or device)`);
    }
  });

  // Found by the fuzz suite: a 64 MiB + 1 byte line was read whole; the readers built each line as
  // one string, which past V8's ~512 M-character limit can only end in a runtime error.
  it('refuses a document over the limit without holding it whole', async () => {
    const over = MAX_DOCUMENT_BYTES + 1;
    const jsonl = join(dir, 'long.jsonl');
    const txt = join(dir, 'long.txt');
    for (const [file, prefix] of [[jsonl, '{"text":"'], [txt, '']]) {
      const fd = openSync(file, 'w');
      writeSync(fd, prefix);
      const chunk = Buffer.alloc(1 << 20, 'a');
      for (let left = over; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
      closeSync(fd);
    }
    await expect(collect(jsonl)).rejects.toThrow(`${jsonl}:1: a document of 64.0 MiB or more exceeds the 64 MiB limit on one document; split the document over several lines`);
    await expect(collect(txt)).rejects.toThrow(`${txt}: a document of 64.0 MiB or more exceeds the 64 MiB limit`);
  });

  it('streams a multi-row-group .parquet text column', async () => {
    const path = join(dir, 'train.parquet');
    const texts = ['alpha', 'beta', 'gamma', 'delta', 'épsilon'];
    writeParquetFixture(path, [{ name: 'id', type: 'int32', values: [1, 2, 3, 4, 5] }, { name: 'text', type: 'string', values: texts }], 2);
    expect(await collect(path)).toEqual(texts);
  });

  it('names the columns when the parquet field is wrong, and rejects non-string columns and broken files', async () => {
    const path = join(dir, 'other.parquet');
    writeParquetFixture(path, [{ name: 'content', type: 'string', values: ['x'] }, { name: 'n', type: 'int32', values: [3] }], 1);
    await expect(collect(path)).rejects.toThrow(/has no column "text" \(columns: content, n\)/);
    await expect(collect(path, 'n')).rejects.toThrow(/column "n" row 0 is number, expected a string/);
    const broken = join(dir, 'broken.parquet');
    writeFileSync(broken, 'PAR1 this is not parquet PAR1');
    await expect(collect(broken)).rejects.toThrow(/broken\.parquet is not a readable parquet file/);
  });

  it('reads the embedded sotu corpus: 233 addresses, Washington first', async () => {
    const docs = await collect('sotu');
    expect(docs.length).toBe(233);
    expect(docs[0].startsWith('Fellow-Citizens of the Senate and House of Representatives')).toBe(true);
  });

  it('explains missing paths and uncached Hub datasets', async () => {
    await expect(collect(join(dir, 'nope.txt'))).rejects.toThrow(/corpus ".*nope\.txt" not found/);
    process.env.HF_HUB_CACHE = join(dir, 'empty-hub');
    try {
      await expect(collect('someone/some-dataset')).rejects.toThrow(/dataset "someone\/some-dataset" has no parquet files in the Hugging Face cache/);
    } finally {
      delete process.env.HF_HUB_CACHE;
    }
  });

  it('reads a Hub dataset from the HF cache layout', async () => {
    const snap = join(dir, 'hub', 'datasets--me--tiny', 'snapshots', 'abc123', 'data');
    mkdirSync(snap, { recursive: true });
    writeParquetFixture(join(snap, 'train-00000-of-00001.parquet'), [{ name: 'text', type: 'string', values: ['cached doc'] }], 1);
    process.env.HF_HUB_CACHE = join(dir, 'hub');
    try {
      expect(await collect('me/tiny')).toEqual(['cached doc']);
    } finally {
      delete process.env.HF_HUB_CACHE;
    }
  });
});
