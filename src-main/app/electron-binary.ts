// Whether the Electron binary is installed: the electron package resolves to the binary's path and
// throws when its postinstall download did not happen (blocked network, ELECTRON_SKIP_BINARY_DOWNLOAD).
import { createRequire } from 'node:module';
import path from 'node:path';

export type ElectronBinary = { binary: string } | { missing: string };

export function findElectronBinary(appRoot: string): ElectronBinary {
  try {
    const binary = createRequire(path.join(appRoot, 'package.json'))('electron') as unknown;
    if (typeof binary === 'string') return { binary };
    return { missing: 'the electron package did not return a binary path' };
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND') return { missing: 'the electron package is not installed' };
    return { missing: (err as Error).message.split('\n')[0]! };
  }
}
