// Electron main process entry: the app's life cycle is in desktop.ts (testable with fakes); this
// file only hands it the real Electron and the build's location. Everything heavy runs in the
// compute process (system node).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDesktopApp } from './desktop.js';
import { loadElectronMain } from './electron-api.js';

const electron = loadElectronMain();
// Built layout: out/main/index.js beside out/preload/index.cjs and out/renderer/index.html.
const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

runDesktopApp(electron, { outDir }).catch((err: Error) => {
  electron.dialog.showErrorBox('SAE Explorer cannot start', err.message);
  electron.app.quit();
});
