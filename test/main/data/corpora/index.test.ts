import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
