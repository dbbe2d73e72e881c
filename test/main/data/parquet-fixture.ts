// A minimal parquet writer for test fixtures (hyparquet only reads): uncompressed PLAIN pages, REQUIRED
// columns of UTF-8 strings or int32, one data page per column chunk, several row groups. File layout
// and Thrift compact encoding follow the Apache Parquet format spec (parquet.thrift).
import { writeFileSync } from 'node:fs';

type Column = { name: string; type: 'string'; values: string[] } | { name: string; type: 'int32'; values: number[] };

const CT = { I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

class Compact {
  bytes: number[] = [];
  private lastField: number[] = [0];

  varint(n: bigint): void {
    let v = n;
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      this.bytes.push(b);
    } while (v > 0n);
  }
  zigzag(n: number | bigint): void {
    const v = BigInt(n);
    this.varint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }
  field(id: number, type: number): void {
    const delta = id - this.lastField[this.lastField.length - 1];
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(id);
    }
    this.lastField[this.lastField.length - 1] = id;
  }
  i32(id: number, v: number): void {
    this.field(id, CT.I32);
    this.zigzag(v);
  }
  i64(id: number, v: number): void {
    this.field(id, CT.I64);
    this.zigzag(v);
  }
  binary(id: number, s: string): void {
    this.field(id, CT.BINARY);
    this.rawBinary(s);
  }
  rawBinary(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.varint(BigInt(b.length));
    this.bytes.push(...b);
  }
  listHeader(id: number, elemType: number, size: number): void {
    this.field(id, CT.LIST);
    if (size < 15) this.bytes.push((size << 4) | elemType);
    else {
      this.bytes.push(0xf0 | elemType);
      this.varint(BigInt(size));
    }
  }
  beginStruct(id?: number): void {
    if (id !== undefined) this.field(id, CT.STRUCT);
    this.lastField.push(0);
  }
  endStruct(): void {
    this.bytes.push(0);
    this.lastField.pop();
  }
}

function plainValues(column: Column, start: number, end: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = start; i < end; i++) {
    if (column.type === 'string') {
      const s = Buffer.from(column.values[i], 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(s.length);
      parts.push(len, s);
    } else {
      const v = Buffer.alloc(4);
      v.writeInt32LE(column.values[i]);
      parts.push(v);
    }
  }
  return Buffer.concat(parts);
}

/** Writes `columns` (equal lengths) as a parquet file with row groups of `rowsPerGroup` rows. */
export function writeParquetFixture(path: string, columns: Column[], rowsPerGroup: number): void {
  const rows = columns[0].values.length;
  const chunks: Buffer[] = [Buffer.from('PAR1')];
  let offset = 4;
  const groups: Array<{ rows: number; columns: Array<{ offset: number; size: number }> }> = [];
  for (let start = 0; start < rows; start += rowsPerGroup) {
    const end = Math.min(rows, start + rowsPerGroup);
    const group = { rows: end - start, columns: [] as Array<{ offset: number; size: number }> };
    for (const column of columns) {
      const data = plainValues(column, start, end);
      const header = new Compact();
      header.i32(1, 0); // DATA_PAGE
      header.i32(2, data.length);
      header.i32(3, data.length);
      header.beginStruct(5);
      header.i32(1, end - start);
      header.i32(2, 0); // PLAIN
      header.i32(3, 3); // RLE
      header.i32(4, 3);
      header.endStruct();
      header.bytes.push(0);
      const chunk = Buffer.concat([Buffer.from(header.bytes), data]);
      group.columns.push({ offset, size: chunk.length });
      chunks.push(chunk);
      offset += chunk.length;
    }
    groups.push(group);
  }
  const meta = new Compact();
  meta.i32(1, 1);
  meta.listHeader(2, CT.STRUCT, columns.length + 1);
  meta.beginStruct();
  meta.binary(4, 'schema');
  meta.i32(5, columns.length);
  meta.endStruct();
  for (const column of columns) {
    meta.beginStruct();
    meta.i32(1, column.type === 'string' ? 6 : 1); // BYTE_ARRAY | INT32
    meta.i32(3, 0); // REQUIRED
    meta.binary(4, column.name);
    if (column.type === 'string') meta.i32(6, 0); // UTF8
    meta.endStruct();
  }
  meta.i64(3, rows);
  meta.listHeader(4, CT.STRUCT, groups.length);
  for (const group of groups) {
    meta.beginStruct();
    meta.listHeader(1, CT.STRUCT, group.columns.length);
    group.columns.forEach((chunk, c) => {
      meta.beginStruct();
      meta.i64(2, chunk.offset);
      meta.beginStruct(3);
      meta.i32(1, columns[c].type === 'string' ? 6 : 1);
      meta.listHeader(2, CT.I32, 1);
      meta.zigzag(0);
      meta.listHeader(3, CT.BINARY, 1);
      meta.rawBinary(columns[c].name);
      meta.i32(4, 0); // UNCOMPRESSED
      meta.i64(5, group.rows);
      meta.i64(6, chunk.size);
      meta.i64(7, chunk.size);
      meta.i64(9, chunk.offset);
      meta.endStruct();
      meta.endStruct();
    });
    meta.i64(2, group.columns.reduce((a, c) => a + c.size, 0));
    meta.i64(3, group.rows);
    meta.endStruct();
  }
  meta.bytes.push(0);
  const metaBytes = Buffer.from(meta.bytes);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(metaBytes.length);
  chunks.push(metaBytes, len, Buffer.from('PAR1'));
  writeFileSync(path, Buffer.concat(chunks));
}
