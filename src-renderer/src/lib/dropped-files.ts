// The files of a drop or of a file input as upload items with their paths: a dropped folder keeps its
// name and layout ("release/blocks.8/cfg.json"), as the importer needs to tell SAEs of a release apart.
import type { UploadItem } from './transport/index.js';

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries answers in batches (100 in Chromium) until it answers an empty one.
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    const next = (): void => reader.readEntries((batch) => (batch.length === 0 ? resolve(all) : (all.push(...batch), next())), reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, items: UploadItem[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    items.push({ file, path: entry.fullPath.replace(/^\//, '') });
  } else if (entry.isDirectory) {
    for (const child of await readAllEntries((entry as FileSystemDirectoryEntry).createReader())) await walk(child, items);
  }
}

/** Files and folders dropped on the page, folders walked to their files. */
export async function droppedItems(transfer: DataTransfer): Promise<UploadItem[]> {
  const entries = Array.from(transfer.items)
    .map((item) => item.webkitGetAsEntry?.())
    .filter((entry): entry is FileSystemEntry => entry !== null && entry !== undefined);
  if (entries.length === 0) return Array.from(transfer.files).map((file) => ({ file, path: file.name }));
  const items: UploadItem[] = [];
  for (const entry of entries) await walk(entry, items);
  return items;
}

/** Files of an <input type="file">, with their folder paths when it picked a folder (webkitdirectory). */
export function inputItems(files: FileList): UploadItem[] {
  return Array.from(files).map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}
