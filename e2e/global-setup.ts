// Builds the app once before the e2e run (renderer for browser mode, main + preload for Electron).
// SAE_E2E_SKIP_BUILD=1 reuses an existing out/ folder.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function globalSetup(): void {
  if (process.env.SAE_E2E_SKIP_BUILD === '1') return;
  const root = path.resolve(import.meta.dirname, '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
}
