// Build of the desktop app: Electron main (src-main/app/main.ts), the sandboxed preload (CommonJS, as
// sandboxed preloads must be) and the Svelte renderer (src-renderer) into out/. The compute process
// is not bundled: it runs from source under the system node + tsx, like the CLI.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';

// electron-vite reads the Electron version from the electron package, which is optional and may be
// absent (its binary cannot be downloaded everywhere); then the build targets Electron 41.
function electronInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('electron/package.json');
    return true;
  } catch {
    return false;
  }
}
if (!electronInstalled()) process.env.ELECTRON_MAJOR_VER ??= '41';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: { input: { index: resolve('src-main/app/main.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { index: resolve('src-main/app/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    plugins: [svelte()],
    build: {
      outDir: resolve('out/renderer'),
      rolldownOptions: { input: resolve('src-renderer/index.html') },
    },
  },
});
