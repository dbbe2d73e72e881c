// Parquet corpora (Hugging Face dataset files), read with hyparquet one row group at a time so a
// multi-gigabyte file never sits in memory at once. hyparquet-compressors adds the codecs Hub files
// use (snappy, zstd, gzip, brotli, lz4).
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { checkRegularFile, decodeUtf8 } from './documents.js';

async function openParquet(path: string): Promise<{ file: Awaited<ReturnType<typeof asyncBufferFromFile>>; metadata: FileMetaData }> {
  checkRegularFile(path);
  const file = await asyncBufferFromFile(path);
  try {
    return { file, metadata: await parquetMetadataAsync(file) };
  } catch (err) {
    throw new Error(`${path} is not a readable parquet file: ${(err as Error).message}`);
  }
}

export async function* readParquetFile(path: string, field: string): AsyncGenerator<string> {
  const { file, metadata } = await openParquet(path);
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  if (!columns.includes(field)) {
    throw new Error(`${path} has no column "${field}" (columns: ${columns.join(', ')}); pick the text column with --text-field`);
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: unknown[][] = [];
    try {
      // hyparquet's own decoder turns invalid UTF-8 into U+FFFD without a word; this one refuses it.
      const parsers = { stringFromBytes: (bytes: Uint8Array | undefined) => bytes && decodeUtf8(bytes, `column "${field}"`, 'value') };
      await parquetRead({ file, metadata, columns: [field], rowStart, rowEnd, compressors, parsers, onComplete: (r) => (rows = r) });
    } catch (err) {
      throw new Error(`${path}: cannot read rows ${rowStart}..${rowEnd - 1} of column "${field}": ${(err as Error).message}`);
    }
    for (let i = 0; i < rows.length; i++) {
      const value = rows[i][0];
      if (value === null || value === undefined) continue;
      if (typeof value !== 'string') {
        throw new Error(`${path}: column "${field}" row ${rowStart + i} is ${typeof value}, expected a string (UTF-8 text)`);
      }
      if (value.length > 0) yield value;
    }
    rowStart = rowEnd;
  }
}
