// Malformed corpora read through the real corpus reader (openCorpus, as training and harvest read
// them): text and JSON Lines with invalid UTF-8, binary content, empty files, a line far over the
// document limit, a FIFO where a file should be; parquet files truncated, garbled or with lying footers.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { openCorpus } from '../../../src-main/data/corpora/index.js';
import type { Fixtures } from '../fixtures.js';
import { expectAccepted, expectClearError, type FuzzCase } from '../judge.js';
import type { Category } from '../harness.js';

async function drain(spec: string, textField?: string): Promise<number> {
  let documents = 0;
  for await (const doc of openCorpus(spec, { textField })) documents += doc.length > 0 ? 1 : 0;
  return documents;
}

/** Writes one JSON Lines record whose text is `chars` ASCII letters, a chunk at a time (never whole in memory). */
function writeLongLine(file: string, chars: number, asJson: boolean): void {
  const fd = openSync(file, 'w');
  try {
    if (asJson) writeSync(fd, '{"text": "');
    const chunk = Buffer.alloc(1 << 20, 'abcdefgh ');
    for (let left = chars; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
    if (asJson) writeSync(fd, '"}\n');
  } finally {
    closeSync(fd);
  }
}

const INVALID_UTF8: Array<[string, number[]]> = [
  ['a lone 0xff', [0xff]],
  ['a cut two-byte sequence', [0xc3, 0x28]],
  ['an overlong "/"', [0xc0, 0xaf]],
  ['an encoded surrogate', [0xed, 0xa0, 0x80]],
  ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
];

const BAD_JSONL_LINES = ['[1, 2]', '42', '"just a string"', '{"text": 5}', '{"txt": "wrong field"}', '{"text": "cut', `{"text": ${'['.repeat(100_000)}`, '{"text": "a"} trailing'];

export function datasetCases(fx: Fixtures, random: () => number, randomCount: number, ci: boolean): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const add = (name: string, make: (dir: string) => string, mayAccept: boolean, deadlineMs?: number, textField?: string) =>
    cases.push({
      category: 'dataset',
      name,
      deadlineMs,
      run: async () => {
        const dir = fx.scratch('dataset');
        try {
          const spec = make(dir);
          return await expectClearError(spec, () => drain(spec, textField), mayAccept);
        } finally {
          fx.clean(dir);
        }
      },
    });
  const file = (name: string, contents: string | Buffer) => (dir: string) => {
    writeFileSync(path.join(dir, name), contents);
    return path.join(dir, name);
  };

  cases.push({
    category: 'dataset',
    name: 'control: valid .txt and .jsonl',
    run: async () => {
      const dir = fx.scratch('dataset');
      try {
        writeFileSync(path.join(dir, 'a.txt'), 'héllo wörld ✓');
        writeFileSync(path.join(dir, 'b.jsonl'), '{"text": "one"}\r\n{"text": "two ✓"}\n');
        return await expectAccepted(async () => {
          if ((await drain(dir)) !== 3) throw new Error(`${dir}: expected 3 documents`);
        });
      } finally {
        fx.clean(dir);
      }
    },
  });
  for (const ext of ['txt', 'jsonl']) {
    add(`empty .${ext}`, file(`empty.${ext}`, ''), true);
    add(`whitespace-only .${ext}`, file(`blank.${ext}`, ' \n\n\t\n'), true);
    for (const [what, bytes] of INVALID_UTF8) {
      const text = ext === 'txt' ? [...Buffer.from('Some text, then '), ...bytes, ...Buffer.from(' and more.')] : [...Buffer.from('{"text": "ok"}\n{"text": "bad '), ...bytes, ...Buffer.from('"}\n')];
      add(`.${ext} with invalid UTF-8: ${what}`, file(`bad.${ext}`, Buffer.from(text)), false);
    }
    add(`binary .${ext}`, file(`binary.${ext}`, Buffer.from(Array.from({ length: 4096 }, () => Math.floor(random() * 256)))), false);
    add(`a FIFO named corpus.${ext}`, (dir) => {
      const fifo = path.join(dir, `corpus.${ext}`);
      execFileSync('mkfifo', [fifo]);
      return fifo;
    }, false, 10_000);
  }
  // The limit on one document is 64 MiB; CI writes just over it, the full run 1 GiB (past V8's
  // longest string, so a reader that builds the line first cannot even make the error).
  const longChars = ci ? 64 * 2 ** 20 + 1 : 2 ** 30;
  const longLabel = ci ? '64 MiB + 1 byte' : '1 GiB';
  add(`.jsonl with one ${longLabel} line`, (dir) => {
    writeLongLine(path.join(dir, 'long.jsonl'), longChars, true);
    return path.join(dir, 'long.jsonl');
  }, false, ci ? 60_000 : 300_000);
  add(`.txt of ${longLabel}`, (dir) => {
    writeLongLine(path.join(dir, 'long.txt'), longChars, false);
    return path.join(dir, 'long.txt');
  }, false, ci ? 60_000 : 300_000);
  add('.jsonl with an 8 MiB line (under the limit)', (dir) => {
    writeLongLine(path.join(dir, 'long.jsonl'), 8 * 2 ** 20, true);
    return path.join(dir, 'long.jsonl');
  }, true);
  for (const line of BAD_JSONL_LINES) add(`.jsonl line ${line.slice(0, 30)}`, file('lines.jsonl', `{"text": "fine"}\n${line}\n`), false);
  add('.jsonl starting with a byte-order mark', file('bom.jsonl', '\ufeff{"text": "a"}\n'), true);
  add('NUL bytes inside the text', file('nul.txt', 'a\u0000b\u0000c'), true);
  add('unsupported extension .csv', file('corpus.csv', 'text\nhello\n'), false);
  add('a folder named corpus.txt holding nothing', (dir) => {
    mkdirSync(path.join(dir, 'corpus.txt'));
    return path.join(dir, 'corpus.txt');
  }, false);
  for (let i = 0; i < randomCount; i++) {
    const lines = Array.from({ length: 20 }, (_, j) => JSON.stringify({ text: `line ${j} héllo wörld ✓ ${'z'.repeat(j)}` })).join('\n');
    const at = random();
    const byte = Math.floor(random() * 256);
    const truncate = random() < 0.3;
    add(truncate ? `random .jsonl cut at ${at.toFixed(4)}` : `random .jsonl byte ${byte} at ${at.toFixed(4)}`, (dir) => {
      const bytes = Buffer.from(lines);
      const where = Math.floor(at * bytes.length);
      if (!truncate) bytes[where] = byte;
      return file('random.jsonl', truncate ? bytes.subarray(0, where) : bytes)(dir);
    }, true);
  }
  return cases;
}

export function parquetCases(fx: Fixtures, random: () => number, randomCount: number): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const category: Category = 'parquet';
  const add = (name: string, mutate: (b: Buffer) => Buffer, mayAccept: boolean, textField?: string) =>
    cases.push({
      category,
      name,
      run: async () => {
        const dir = fx.scratch('parquet');
        try {
          const target = path.join(dir, 'corpus.parquet');
          writeFileSync(target, mutate(readFileSync(fx.parquetFile())));
          return await expectClearError(target, () => drain(target, textField), mayAccept);
        } finally {
          fx.clean(dir);
        }
      },
    });
  cases.push({
    category,
    name: 'control: the unchanged file',
    run: () =>
      expectAccepted(async () => {
        if ((await drain(fx.parquetFile())) !== 9) throw new Error(`${fx.parquetFile()}: expected 9 documents`);
      }),
  });
  for (const keep of [0, 3, 4, 8, 12]) add(`truncated to ${keep} bytes`, (b) => b.subarray(0, keep), false);
  for (const drop of [1, 4, 8, 9]) add(`last ${drop} bytes missing`, (b) => b.subarray(0, b.length - drop), false);
  add('second half missing', (b) => b.subarray(0, b.length >> 1), false);
  add('garbage between the magic bytes', () => Buffer.concat([Buffer.from('PAR1'), Buffer.from(Array.from({ length: 2000 }, () => Math.floor(random() * 256))), Buffer.from('PAR1')]), false);
  add('garbage with no magic', () => Buffer.from(Array.from({ length: 2000 }, () => Math.floor(random() * 256))), false);
  for (const length of [0, 0xfffffff0, 0x7fffffff]) {
    add(`footer length ${length}`, (b) => {
      const out = Buffer.from(b);
      out.writeUInt32LE(length, out.length - 8);
      return out;
    }, false);
  }
  add('footer bytes zeroed', (b) => {
    const out = Buffer.from(b);
    const footer = out.readUInt32LE(out.length - 8);
    out.fill(0, out.length - 8 - footer, out.length - 8);
    return out;
  }, false);
  add('a text value with invalid UTF-8', (b) => {
    const out = Buffer.from(b);
    out[out.indexOf(Buffer.from('quick'))] = 0xff;
    return out;
  }, false);
  add('no column "nope"', (b) => b, false, 'nope');
  add('text column of int32', (b) => b, false, 'id');
  for (let i = 0; i < randomCount; i++) {
    const at = random();
    const byte = Math.floor(random() * 256);
    if (random() < 0.3) add(`random truncation at ${at.toFixed(4)}`, (b) => b.subarray(0, Math.floor(at * b.length)), false);
    else {
      add(`random byte ${byte} at ${at.toFixed(4)}`, (b) => {
        const out = Buffer.from(b);
        out[Math.floor(at * out.length)] = byte;
        return out;
      }, true);
    }
  }
  return cases;
}
