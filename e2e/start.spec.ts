// `npm start` where the Electron binary is missing: one line saying so, then the same UI in browser
// mode at the printed URL. Where the binary exists `npm start` opens Electron instead (electron.spec.ts).
// With no workspace chosen it opens the demo workspace and, finding it unbuilt, builds it as a job the
// app shows.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { findElectronBinary } from '../src-main/app/electron-binary.js';
import { APP_ROOT } from './helpers/serve.js';

const binary = findElectronBinary(APP_ROOT);
test.skip('binary' in binary, 'the Electron binary is installed, so npm start opens the desktop app, not the browser fallback');

/** Runs what `npm start` runs (without npm in between, so the signal reaches it) until `use` is done. */
async function withNpmStart(env: NodeJS.ProcessEnv, use: (url: string, output: () => string) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(APP_ROOT, 'src-main', 'app', 'launch.ts')], { cwd: APP_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  try {
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
    await use(url, () => output);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

test('npm start falls back to browser mode with a one-line reason and the URL', async ({ page }) => {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'sae-e2e-start-'));
  try {
    await withNpmStart({ ...process.env, SAE_EXPLORER_WORKSPACE: workspace }, async (url, output) => {
      const reason = output().split('\n').filter((line) => line.includes('Electron binary'));
      expect(reason).toEqual([`sae-explorer: the Electron binary is not available here (${(binary as { missing: string }).missing}); serving the same UI in browser mode instead.`]);
      expect(output()).not.toContain('building the demo');
      await page.goto(url);
      await expect(page.getByTestId('workspace-root')).toHaveText(workspace);
    });
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
});

test('npm start with no workspace chosen opens the demo workspace and builds it, with its progress in the app', async ({ page }) => {
  // npm start builds the app first: the limit guards against a hang, it is not a speed check.
  test.setTimeout(300_000);
  const demo = mkdtempSync(path.join(os.tmpdir(), 'sae-e2e-demo-'));
  const { SAE_EXPLORER_WORKSPACE: _chosen, ...env } = process.env;
  try {
    await withNpmStart({ ...env, SAE_EXPLORER_DEMO_WORKSPACE: demo }, async (url, output) => {
      await page.goto(url);
      await expect(page.getByTestId('workspace-root')).toHaveText(demo);
      // Printed once the compute process has answered demo.build, after the URL.
      await expect.poll(output, { timeout: 120_000 }).toMatch(/sae-explorer: building the demo workspace \(job [\w-]+\); the app shows its progress/);
      // The listing the page loaded may predate the copy; Refresh shows it.
      await page.getByRole('button', { name: 'Refresh' }).click();
      await expect(page.getByTestId('models')).toContainText('sotu-gpt2');
      const job = page.getByTestId('jobs').locator('li', { hasText: 'build the demo' });
      await expect(job.getByTestId('progress')).toBeVisible();
      // The header's badge leads to the job on the Train screen. Stopping `npm start` afterwards stops the
      // build (the next start continues it), so the test does not wait for it.
      await page.getByTestId('running-jobs').click();
      await expect(page.getByTestId('job-title')).toContainText('build the demo: 256, 512, 1024 latents on sotu-gpt2 blocks.2.hook_resid_pre');
      await expect(page.getByTestId('train-job')).toHaveAttribute('data-state', 'running');
      // Four stages: the shipped model carries snapshots of its pretraining, so a checkpoints set
      // follows the family (train, harvest + map, train checkpoints, harvest checkpoints).
      await expect(page.getByTestId('train-job').getByTestId('progress')).toContainText('1/4 train');
    });
  } finally {
    rmSync(demo, { recursive: true, force: true });
  }
});
