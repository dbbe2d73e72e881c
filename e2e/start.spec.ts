// `npm start` where the Electron binary is missing: one line saying so, then the same UI in browser
// mode at the printed URL. Where the binary exists `npm start` opens Electron instead (electron.spec.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { findElectronBinary } from '../src-main/app/electron-binary.js';
import { APP_ROOT } from './helpers/serve.js';

const binary = findElectronBinary(APP_ROOT);
test.skip('binary' in binary, 'the Electron binary is installed, so npm start opens the desktop app, not the browser fallback');

test('npm start falls back to browser mode with a one-line reason and the URL', async ({ page }) => {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'sae-e2e-start-'));
  // What `npm start` runs, without npm in between so the signal reaches it.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(APP_ROOT, 'src-main', 'app', 'launch.ts')], {
    cwd: APP_ROOT,
    env: { ...process.env, SAE_EXPLORER_WORKSPACE: workspace },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /sae-explorer: open (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]!);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
    });
    const reason = output.split('\n').filter((line) => line.includes('Electron binary'));
    expect(reason).toEqual([`sae-explorer: the Electron binary is not available here (${(binary as { missing: string }).missing}); serving the same UI in browser mode instead.`]);
    await page.goto(url);
    await expect(page.getByTestId('workspace-root')).toHaveText(workspace);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(workspace, { recursive: true, force: true });
  }
});
