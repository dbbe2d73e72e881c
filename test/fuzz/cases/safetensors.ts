// Malformed sae_weights.safetensors inside an otherwise valid SAELens folder, read through the real
// import path (format detection, header checks, tensor reads, validation) as `import-sae` does.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { importSae } from '../../../src-main/sae/formats/detect.js';
import type { Fixtures } from '../fixtures.js';
import { expectAccepted, expectClearError, type FuzzCase } from '../judge.js';

type Header = Record<string, { dtype: string; shape: unknown; data_offsets: unknown } | unknown>;

function split(bytes: Buffer): { header: Header; data: Buffer } {
  const length = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Header, data: bytes.subarray(8 + length) };
}

function join(headerJson: string | Buffer, data: Buffer, declaredLength?: bigint): Buffer {
  const header = Buffer.isBuffer(headerJson) ? headerJson : Buffer.from(headerJson, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(declaredLength ?? BigInt(header.length));
  return Buffer.concat([length, header, data]);
}

/** Rewrites the header through `edit`, keeping the data section. */
function editHeader(bytes: Buffer, edit: (h: Header) => void): Buffer {
  const { header, data } = split(bytes);
  edit(header);
  return join(JSON.stringify(header), data);
}

/** Puts `value` into the float32 at flat index `index` of tensor `name`. */
function setFloat(bytes: Buffer, name: string, index: number, value: number): Buffer {
  const out = Buffer.from(bytes);
  const { header } = split(out);
  const begin = (header[name] as { data_offsets: [number, number] }).data_offsets[0];
  out.writeFloatLE(value, 8 + Number(out.readBigUInt64LE(0)) + begin + 4 * index);
  return out;
}

const NASTY_SHAPES: unknown[] = [[16, 16], [-1, 16], [1e20, 16], [2 ** 53, 2], '16', null, [16.5, 16], [], [0], [16, 16, 1, 1]];
const NASTY_OFFSETS: unknown[] = [[0, 2 ** 60], [64, 0], [-4, 60], ['0', '64'], [0], null, [0, 1.5], [0, 1e309]];
const NASTY_DTYPES: unknown[] = ['F33', 'I32', 'F16', 'BOOL', 'f32', '', 7, null];

export function safetensorsCases(fx: Fixtures, random: () => number, randomCount: number): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const base = () => readFileSync(path.join(fx.saeDir(), 'sae_weights.safetensors'));
  const add = (name: string, mutate: (bytes: Buffer) => Buffer, mayAccept = false) =>
    cases.push({
      category: 'safetensors',
      name,
      run: async () => {
        const dir = fx.variant(fx.saeDir(), 'sae_weights.safetensors', mutate(base()), 'st');
        try {
          return await expectClearError(dir, () => importSae(dir), mayAccept);
        } finally {
          fx.clean(dir);
        }
      },
    });

  cases.push({ category: 'safetensors', name: 'control: the unchanged folder', run: () => expectAccepted(() => importSae(fx.saeDir())) });
  for (const keep of [0, 4, 7, 8, 20]) add(`truncated to ${keep} bytes`, (b) => b.subarray(0, keep));
  add('truncated: last byte of the data missing', (b) => b.subarray(0, b.length - 1));
  add('truncated: half the data missing', (b) => b.subarray(0, 8 + Number(b.readBigUInt64LE(0)) + (b.length - 8 - Number(b.readBigUInt64LE(0))) / 2));
  for (const length of [2n ** 64n - 1n, 2n ** 53n, 2n ** 32n, 100_000_001n]) {
    add(`header length ${length}`, (b) => {
      const out = Buffer.from(b);
      out.writeBigUInt64LE(length);
      return out;
    });
  }
  add('header length short by one (JSON cut)', (b) => {
    const out = Buffer.from(b);
    out.writeBigUInt64LE(out.readBigUInt64LE(0) - 1n);
    return out;
  });
  add('header is not JSON', (b) => join('{"W_enc": {"dtype": "F32", nope', split(b).data));
  add('header is a JSON array', (b) => join('[1, 2, 3]', split(b).data));
  add('header is null', (b) => join('null', split(b).data));
  add('header is invalid UTF-8', (b) => join(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), split(b).data));
  add('header nested 100,000 deep', (b) => join(`{"x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`, split(b).data));
  add('empty header object with data', (b) => join('{}', split(b).data));
  add('__metadata__ not strings', (b) => editHeader(b, (h) => (h.__metadata__ = { format: 1 })));
  for (const dtype of NASTY_DTYPES) add(`W_enc dtype ${JSON.stringify(dtype)}`, (b) => editHeader(b, (h) => ((h.W_enc as { dtype: unknown }).dtype = dtype)));
  for (const shape of NASTY_SHAPES) add(`W_enc shape ${JSON.stringify(shape)}`, (b) => editHeader(b, (h) => ((h.W_enc as { shape: unknown }).shape = shape)));
  add('W_enc and W_dec shapes swapped', (b) =>
    editHeader(b, (h) => {
      const enc = h.W_enc as { shape: unknown };
      const dec = h.W_dec as { shape: unknown };
      [enc.shape, dec.shape] = [dec.shape, enc.shape];
    }),
  );
  for (const offsets of NASTY_OFFSETS) add(`W_dec data_offsets ${JSON.stringify(offsets)}`, (b) => editHeader(b, (h) => ((h.W_dec as { data_offsets: unknown }).data_offsets = offsets)));
  add('W_dec overlaps W_enc', (b) => editHeader(b, (h) => ((h.W_dec as { data_offsets: unknown }).data_offsets = (h.W_enc as { data_offsets: unknown }).data_offsets)));
  add('b_enc missing from the header', (b) => editHeader(b, (h) => delete h.b_enc));
  add('extra bytes after the last tensor', (b) => Buffer.concat([b, Buffer.alloc(4)]));
  for (const [value, where] of [[NaN, 'W_enc'], [Infinity, 'b_dec'], [-Infinity, 'W_dec'], [NaN, 'b_enc']] as const) {
    add(`${value} in ${where}`, (b) => setFloat(b, where, 3, value));
  }

  for (let i = 0; i < randomCount; i++) {
    const kind = Math.floor(random() * 3);
    const at = random();
    const byte = Math.floor(random() * 256);
    if (kind === 0) {
      add(`random truncation at ${at.toFixed(4)} of the file`, (b) => b.subarray(0, Math.floor(at * b.length)));
    } else if (kind === 1) {
      add(`random byte ${byte} in the header at ${at.toFixed(4)}`, (b) => {
        const out = Buffer.from(b);
        out[8 + Math.floor(at * Number(out.readBigUInt64LE(0)))] = byte;
        return out;
      }, true);
    } else {
      add(`random byte ${byte} anywhere at ${at.toFixed(4)}`, (b) => {
        const out = Buffer.from(b);
        out[Math.floor(at * out.length)] = byte;
        return out;
      }, true);
    }
  }
  return cases;
}
