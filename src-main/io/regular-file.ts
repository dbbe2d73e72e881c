// Reading a file that someone else put in the workspace: it may be a FIFO, a socket or a device,
// whose read never returns, and a blocked read blocks the whole compute process.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * The file's text, refusing anything but a regular file. O_NONBLOCK makes opening a FIFO return at
 * once instead of waiting for a writer; fstat of the open descriptor then decides, so the file cannot
 * be swapped between the check and the read.
 */
export function readRegularFile(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${file}: not a regular file; only regular files are read`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
