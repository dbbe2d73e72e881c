// Where the compute process runs from in a packaged build. electron-builder puts the app in
// resources/app.asar, an archive only Electron's patched fs can read; the system node that runs
// the compute process cannot, and cannot use a folder inside it as its cwd (spawn ENOTDIR). The
// packager therefore unpacks the sources and node_modules (electron-builder.yml's asarUnpack) into
// resources/app.asar.unpacked, and the compute process is started there. See docs/architecture.md.
import path from 'node:path';
import { findAppRoot } from '../jobs/host.js';

/** The same path with its `app.asar` segment replaced by `app.asar.unpacked`; other paths unchanged. */
export function unpackedPath(file: string, pathApi: path.PlatformPath = path): string {
  const parts = file.split(pathApi.sep);
  const archive = parts.indexOf('app.asar');
  if (archive === -1) return file;
  parts[archive] = 'app.asar.unpacked';
  return parts.join(pathApi.sep);
}

/** The folder the compute process runs in: the app root above the build, outside any archive. */
export function computeAppRoot(outDir: string): string {
  return unpackedPath(findAppRoot(outDir));
}
